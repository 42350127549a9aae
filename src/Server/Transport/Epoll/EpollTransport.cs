using System.Net;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>
/// The native transport: one listening descriptor and <c>Server:ReactorThreads</c> reactors. Under
/// <c>auto</c> as many reactors as processors exist, and a <see cref="ReactorScaler"/> keeps active only as many as
/// pay off (the others hold no connections and sleep).
/// </summary>
/// <remarks>
/// The reactors share one listener, each watching it with EPOLLEXCLUSIVE (as nginx does), instead of one
/// SO_REUSEPORT listener each, so a second process can never silently bind the same port and take half the
/// connections. The kernel wakes one reactor per incoming connection; that reactor accepts and hands the
/// descriptor to the reactor with the fewest connections (itself, usually, under load), so connections stay
/// spread evenly. The hand-off is once per connection; requests never cross threads.
/// </remarks>
internal sealed class EpollTransport(TransportOptions options, ConnectionLifecycle lifecycle, ILogger? scalerLogger = null) : ITransport
{
    private readonly ReactorSet _set = new(lifecycle.Context.Metrics);
    private ReactorScaler? _scaler;
    private int _listenFd = -1;

    private IReadOnlyList<EpollReactor> Reactors => _set.All;

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
                _set.Add(new EpollReactor(i, _listenFd, lifecycle, _set, options.KeepAlive));
            }

            if (options.ReactorThreads > 1 && (options.AdaptiveReactors || options.MigrationDrillMs > 0))
            {
                var sessions = lifecycle.Context.Plugins.Sessions.Metrics;
                _scaler = new ReactorScaler(_set, scalerLogger ?? lifecycle.Context.Logger, options.MigrationDrillMs, () => sessions.PushesOf(PushResult.Queued));
            }

            // Before the reactors run, so each watches the listener only if it starts active.
            _set.SetActive(_scaler?.InitialActive ?? options.ReactorThreads);
        }
        catch
        {
            DisposeReactors();
            throw;
        }

        foreach (var reactor in Reactors)
        {
            reactor.Start();
        }

        _scaler?.Start();
    }

    /// <summary>Our descriptor as it is: the reactors stop watching it before it is closed, and close only drops our reference.</summary>
    public int ShareListener() => _listenFd;

    public async Task StopAcceptingAsync()
    {
        if (_listenFd < 0)
        {
            return;
        }

        // Every reactor stops watching before the listener is closed, so none touches a reused descriptor.
        await Task.WhenAll(Reactors.Select(r => r.StopAcceptingAsync())).ConfigureAwait(false);
        Libc.close(_listenFd);
        _listenFd = -1;
    }

    public void ScanNow()
    {
        foreach (var reactor in Reactors)
        {
            reactor.ScanNow();
        }
    }

    public void RequestDetach()
    {
        foreach (var reactor in Reactors)
        {
            reactor.RequestDetach();
        }
    }

    public void Adopt(int fd, FrameConnection machine)
    {
        // Blocking sockets would stall a reactor: one that came from the sockets transport is non-blocking already, but
        // a descriptor from elsewhere may not be.
        var flags = Libc.fcntl(fd, Libc.F_GETFL, 0);
        if (flags >= 0 && (flags & Libc.O_NONBLOCK) == 0)
        {
            Libc.fcntl(fd, Libc.F_SETFL, flags | Libc.O_NONBLOCK);
        }

        var target = Reactors[0];
        var active = _set.Active;
        for (var i = 1; i < active && i < Reactors.Count; i++)
        {
            if (Reactors[i].ConnectionCount < target.ConnectionCount)
            {
                target = Reactors[i];
            }
        }

        target.Adopt(fd, machine);
    }

    public async Task<int> AbortAllAsync()
    {
        // No active-set change may start moving connections while they are being cut.
        _scaler?.Dispose();
        _scaler = null;
        var cuts = await Task.WhenAll(Reactors.Select(r => r.AbortAllAsync())).ConfigureAwait(false);
        foreach (var reactor in Reactors)
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
        _scaler?.Dispose();
        _scaler = null;
        foreach (var reactor in Reactors)
        {
            reactor.Dispose();
        }

        _set.Clear();
    }
}
