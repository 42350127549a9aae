using System.Runtime.CompilerServices;
using PluggableNet.Server.Transport.Sockets;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// The test process starts as the host does: one socket event thread per processor, asked for before any socket
/// exists, so the in-process servers' TLS connections run their completions inline as in the host.
/// </summary>
internal static class SocketEventThreads
{
#pragma warning disable CA2255 // A test assembly: it runs before any test opens a socket, which is the point.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void OnePerProcessor() => InlineCompletions.OneEventThreadPerProcessor();
}
