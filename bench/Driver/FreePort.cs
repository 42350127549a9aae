using System.Net;
using System.Net.Sockets;

namespace PluggableNet.Bench.Driver;

/// <summary>Finds a free loopback TCP port by binding port 0 and releasing it.</summary>
internal static class FreePort
{
    public static int Next()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
