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
}
