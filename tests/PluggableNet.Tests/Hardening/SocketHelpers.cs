using System.Net;
using System.Net.Sockets;

namespace PluggableNet.Tests.Hardening;

/// <summary>Raw socket moves the misbehaving clients need and <see cref="Infrastructure.FrameClient"/> does not offer.</summary>
internal static class SocketHelpers
{
    /// <summary>Reads until the server closes; returns what arrived and whether it ended in EOF (not a reset).</summary>
    public static async Task<(byte[] Bytes, bool CleanEof)> ReadToEndAsync(Socket socket, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        using var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellation.Token);
                if (read == 0)
                {
                    return (received.ToArray(), true);
                }

                received.Write(buffer, 0, read);
            }
        }
        catch (SocketException)
        {
            return (received.ToArray(), false);
        }
    }

    /// <summary>Closes with an RST instead of a FIN (SO_LINGER on, 0 seconds).</summary>
    public static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
            // Already reset by the server: closing is all that is left.
        }

        socket.Dispose();
    }

    public static async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static string Reverse(string text)
    {
        var chars = text.ToCharArray();
        Array.Reverse(chars);
        return new string(chars);
    }

    /// <summary>Open descriptors of this process (Linux).</summary>
    public static int OpenDescriptors() => Directory.GetFileSystemEntries("/proc/self/fd").Length;
}
