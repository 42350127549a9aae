namespace PluggableNet.Tests.Infrastructure;

/// <summary>The transports every end-to-end test runs over: epoll where the OS has it, and sockets everywhere.</summary>
public static class TransportData
{
    public static TheoryData<string> All
    {
        get
        {
            var data = new TheoryData<string>();
            if (OperatingSystem.IsLinux())
            {
                data.Add("Epoll");
            }

            data.Add("Sockets");
            return data;
        }
    }

    /// <summary>Each of <see cref="All"/> on protocol v1 and on v2.</summary>
    public static TheoryData<string, string> AllWithProtocols
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var transport in All)
            {
                data.Add(transport, "v1");
                data.Add(transport, "v2");
            }

            return data;
        }
    }
}
