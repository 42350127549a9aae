using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using PluggableNet.Tests.Infrastructure;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace PluggableNet.Tests.Client;

/// <summary>
/// A deliberately misbehaving peer on loopback, for what a real host does only by accident: answering half an answer,
/// closing right after an answer with requests unanswered. The behaviour under test is the client's; the peer only
/// speaks the 5-digit ASCII framing. Each accepted connection runs <c>handler(socket, index)</c>.
/// </summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<Socket, int, Task> _handler;
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly ConcurrentBag<Socket> _sockets = [];
    private readonly Task _acceptLoop;
    private int _accepted;
    private int _requests;

    /// <summary>Listens on <paramref name="bound"/> (a socket already bound, so its port was known before), or a new free port.</summary>
    public RawPeer(Func<Socket, int, Task> handler, Socket? bound = null)
    {
        _handler = handler;
        _listener = bound ?? new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (bound is null)
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        }

        _listener.Listen(64);
        _acceptLoop = AcceptAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Requests read by <see cref="ReadRequestAsync"/> on any connection.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Reads one request; null at EOF or reset.</summary>
    public async Task<string?> ReadRequestAsync(Socket socket)
    {
        var header = new byte[5];
        if (!await ReadExactlyAsync(socket, header))
        {
            return null;
        }

        var payload = new byte[int.Parse(Encoding.ASCII.GetString(header), System.Globalization.CultureInfo.InvariantCulture)];
        if (!await ReadExactlyAsync(socket, payload))
        {
            return null;
        }

        Interlocked.Increment(ref _requests);
        return Encoding.UTF8.GetString(payload);
    }

    public static Task WriteAsync(Socket socket, string ascii) => socket.SendAsync(Encoding.ASCII.GetBytes(ascii), SocketFlags.None);

    /// <summary>The reversed answer to <paramref name="request"/>, framed.</summary>
    public static string Answer(string request) => $"{request.Length:D5}{ClientHosts.Reverse(request)}";

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

    private static async Task<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (!buffer.IsEmpty)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (read == 0)
                {
                    return false;
                }

                buffer = buffer[read..];
            }

            return true;
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            return false;
        }
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync();
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                return;
            }

            _sockets.Add(socket);
            var index = Interlocked.Increment(ref _accepted) - 1;
            _connections.Add(Task.Run(async () =>
            {
                try
                {
                    await _handler(socket, index);
                }
                catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
                {
                    // The client went away first: fine for a peer that misbehaves anyway.
                }
            }));
        }
    }
}

/// <summary>A logger for the client whose events a test can read.</summary>
internal sealed class ClientLogCapture : IDisposable
{
    private readonly SerilogLoggerFactory _factory;

    public ClientLogCapture()
    {
        var logger = new LoggerConfiguration().MinimumLevel.Is(LogEventLevel.Debug).WriteTo.Sink(Log).CreateLogger();
        _factory = new SerilogLoggerFactory(logger, dispose: true);
        Logger = _factory.CreateLogger("PluggableNet.Client");
    }

    public LogCapture Log { get; } = new();

    public Microsoft.Extensions.Logging.ILogger Logger { get; }

    public void Dispose() => _factory.Dispose();
}
