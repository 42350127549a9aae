using System.Net;
using PluggableNet.Host.Connections;
using PluggableNet.Host.Interop;

namespace PluggableNet.Host.Transport.Epoll;

/// <summary>
/// The native transport: one listening descriptor and <c>Server:ReactorThreads</c> reactors.
/// </summary>
/// <remarks>
/// The reactors share one listener, each watching it with EPOLLEXCLUSIVE (as nginx does), instead of one
/// SO_REUSEPORT listener each, so a second process can never silently bind the same port and take half the
/// connections. The kernel wakes one reactor per incoming connection; that reactor accepts and hands the
/// descriptor to the reactor with the fewest connections (itself, usually, under load), so connections stay
/// spread evenly. The hand-off is once per connection; requests never cross threads.
/// </remarks>
internal sealed class EpollTransport(TransportOptions options, ConnectionContext context) : ITransport
{
    private readonly List<EpollReactor> _reactors = [];
    private int _listenFd = -1;

    public IPEndPoint LocalEndPoint { get; private set; } = options.EndPoint;

    public void Start()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Server:Transport=Epoll needs Linux; use Server:Transport=Sockets on this system.");
        }

        _listenFd = NativeListener.Open(options.EndPoint, options.Backlog, out var bound);
        LocalEndPoint = bound;
        var rejections = new RejectionLog(context.Logger, options.MaxConnections);
        try
        {
            for (var i = 0; i < options.ReactorThreads; i++)
            {
                _reactors.Add(new EpollReactor(i, _listenFd, context, options, rejections, _reactors));
            }
        }
        catch
        {
            DisposeReactors();
            throw;
        }

        foreach (var reactor in _reactors)
        {
            reactor.Start();
        }
    }

    public async Task<DrainResult> StopAsync(TimeSpan drainTimeout)
    {
        if (_listenFd < 0)
        {
            return default;
        }

        // 1. Stop accepting everywhere before the listener is closed, so no reactor touches a reused descriptor.
        var stopped = _reactors.Select(reactor =>
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            reactor.StopAccepting(done);
            return done.Task;
        }).ToArray();
        await Task.WhenAll(stopped).ConfigureAwait(false);
        Libc.close(_listenFd);
        _listenFd = -1;

        // 2. Let connections finish what they have received; each closes once it has nothing left to answer.
        var open = _reactors.Sum(r => r.ConnectionCount);
        context.StartDraining();
        var deadline = Environment.TickCount64 + (long)drainTimeout.TotalMilliseconds;
        while (_reactors.Sum(r => r.ConnectionCount) > 0 && Environment.TickCount64 < deadline)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }

        // 3. Cut what is left and end the loops.
        var cuts = await Task.WhenAll(_reactors.Select(r => r.StopAsync())).ConfigureAwait(false);
        foreach (var reactor in _reactors)
        {
            reactor.Join();
        }

        var cut = cuts.Sum();
        return new DrainResult(Math.Max(open - cut, 0), cut);
    }

    public ValueTask DisposeAsync()
    {
        DisposeReactors();
        if (_listenFd >= 0)
        {
            Libc.close(_listenFd);
            _listenFd = -1;
        }

        return ValueTask.CompletedTask;
    }

    private void DisposeReactors()
    {
        foreach (var reactor in _reactors)
        {
            reactor.Dispose();
        }

        _reactors.Clear();
    }
}
