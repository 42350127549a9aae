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
internal sealed class EpollTransport(TransportOptions options, ConnectionLifecycle lifecycle) : ITransport
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

        if (options.Inherited is { } inherited)
        {
            _listenFd = NativeListener.Adopt(inherited);
            LocalEndPoint = inherited.EndPoint;
        }
        else
        {
            _listenFd = NativeListener.Open(options.EndPoint, options.Backlog, out var bound);
            LocalEndPoint = bound;
        }

        try
        {
            for (var i = 0; i < options.ReactorThreads; i++)
            {
                _reactors.Add(new EpollReactor(i, _listenFd, lifecycle, _reactors));
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

    public async Task StopAcceptingAsync()
    {
        if (_listenFd < 0)
        {
            return;
        }

        // Every reactor stops watching before the listener is closed, so none touches a reused descriptor.
        await Task.WhenAll(_reactors.Select(r => r.StopAcceptingAsync())).ConfigureAwait(false);
        Libc.close(_listenFd);
        _listenFd = -1;
    }

    public void ScanNow()
    {
        foreach (var reactor in _reactors)
        {
            reactor.ScanNow();
        }
    }

    public async Task<int> AbortAllAsync()
    {
        var cuts = await Task.WhenAll(_reactors.Select(r => r.AbortAllAsync())).ConfigureAwait(false);
        foreach (var reactor in _reactors)
        {
            reactor.Join();
        }

        return cuts.Sum();
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
