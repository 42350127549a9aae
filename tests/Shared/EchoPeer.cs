using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace PluggableNet.Testing;

/// <summary>
/// A loopback server that sends back every byte it receives: since a request and its answer are framed alike, each
/// request frame comes back as its own answer. It allocates nothing per request (one buffer and one loop per
/// connection), so a process-wide allocation count measures the client alone. Listens on a free port.
/// </summary>
internal sealed class EchoPeer : IAsyncDisposable
{
    private const int BufferBytes = 64 * 1024;

    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly ConcurrentBag<Socket> _sockets = [];
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly Task _acceptLoop;

    public EchoPeer()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
        _acceptLoop = AcceptAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        await _acceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.WhenAll(_connections).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private static async Task EchoAsync(Socket socket)
    {
        var buffer = new byte[BufferBytes];
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    return;
                }

                var unsent = buffer.AsMemory(0, received);
                while (!unsent.IsEmpty)
                {
                    unsent = unsent[await socket.SendAsync(unsent, SocketFlags.None).ConfigureAwait(false)..];
                }
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // The client went away.
        }
        finally
        {
            socket.Dispose();
        }
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                return;
            }

            socket.NoDelay = true;
            _sockets.Add(socket);
            _connections.Add(EchoAsync(socket));
        }
    }
}
