namespace PluggableNet.Tests.ConnectionMove;

/// <summary>From which transport to which, on which protocol: every pair, since the new host may run another transport.</summary>
public static class MoveTheory
{
    public static TheoryData<string, string, string> TransportPairsAndProtocols
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            foreach (var (from, to) in new[] { ("Epoll", "Epoll"), ("Sockets", "Sockets"), ("Epoll", "Sockets"), ("Sockets", "Epoll") })
            {
                data.Add(from, to, "v1");
                data.Add(from, to, "v2");
            }

            return data;
        }
    }

}
