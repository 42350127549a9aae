using System.Net;
using System.Net.Sockets;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// A loopback port free a moment ago, for a setting that needs a port number in a URL before the process starts
/// (the telemetry endpoints cannot report a port 0 they picked). The kernel hands out ephemeral ports in turn, so
/// another process taking it in between is unlikely.
/// </summary>
internal static class FreePort
{
    public static int Next()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
