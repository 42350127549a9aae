using System.Net;
using System.Net.Sockets;

namespace PluggableNet.Bench.Driver;

/// <summary>Opens many TCP connections that send nothing and keeps them open until disposed.</summary>
internal sealed class IdleConnectionSet : IDisposable
{
    // Bounded parallelism keeps the server's accept backlog from overflowing (which would look like a failure).
    private const int ParallelConnects = 128;

    private readonly List<Socket> _sockets = [];

    public int Opened => _sockets.Count;

    public int Failed { get; private set; }

    public static async Task<IdleConnectionSet> OpenAsync(int port, int count, CancellationToken cancellationToken)
    {
        var set = new IdleConnectionSet();
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        using var gate = new SemaphoreSlim(ParallelConnects);
        var attempts = Enumerable.Range(0, count).Select(async _ =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
                return socket;
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                return null;
            }
            finally
            {
                gate.Release();
            }
        }).ToList();

        foreach (var socket in await Task.WhenAll(attempts).ConfigureAwait(false))
        {
            if (socket is null)
            {
                set.Failed++;
            }
            else
            {
                set._sockets.Add(socket);
            }
        }

        return set;
    }

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _sockets.Clear();
    }
}
