using Microsoft.Extensions.Logging;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Interop;
using PluggableNet.Server.Transport;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// The new host's side of the channel: says hello first (a refusal ends the start at once), asks for the sockets only
/// once every endpoint is prepared, tells the old host when it accepts, then adopts the connections the old host
/// sends until it says Done. If the old host dies before the sockets came, this start fails; once they came, this host
/// serves on whatever the old one does.
/// </summary>
internal sealed class HandOverClient : IUpgradeHandOver, IDisposable
{
    private static readonly TimeSpan s_answer = TimeSpan.FromSeconds(120);
    private readonly HandOverChannel _channel;
    private readonly ILogger _logger;
    private readonly IConnectionHandOver _connections;
    private bool _serving;

    private HandOverClient(HandOverChannel channel, int oldPid, ILogger logger, IConnectionHandOver connections)
    {
        _channel = channel;
        OldPid = oldPid;
        _logger = logger;
        _connections = connections;
    }

    public int OldPid { get; }

    /// <summary>Where this host came from, once the sockets arrived.</summary>
    public UpgradeOrigin? Origin { get; private set; }

    /// <summary>Completes once the old host has let go of its pidfile and control socket (or died trying).</summary>
    public Task Released => _released.Task;

    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// The channel named by <see cref="HandOverProtocol.ChannelVariable"/>, greeted; null when this host was not started
    /// by an upgrade. Throws <see cref="ConfigurationException"/> when the old host refuses (another protocol version)
    /// or the channel is not the parent's.
    /// </summary>
    public static HandOverClient? Connect(ILogger logger, IConnectionHandOver connections)
    {
        var path = Environment.GetEnvironmentVariable(HandOverProtocol.ChannelVariable);
        Environment.SetEnvironmentVariable(HandOverProtocol.ChannelVariable, null);
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        HandOverChannel channel;
        try
        {
            channel = HandOverChannel.Connect(path);
        }
        catch (System.Net.Sockets.SocketException exception)
        {
            throw new ConfigurationException([$"Upgrade: cannot reach the old host's hand-over channel {path}: {exception.Message}"]);
        }

        var peer = channel.Peer;
        if (peer.Pid != Libc.getppid())
        {
            channel.Dispose();
            throw new ConfigurationException([$"Upgrade: the hand-over channel {path} belongs to pid {peer.Pid}, not to the host that started this one ({Libc.getppid()})"]);
        }

        var version = int.TryParse(Environment.GetEnvironmentVariable(HandOverProtocol.VersionOverrideVariable), out var claimed) ? claimed : HandOverProtocol.Version;
        channel.Send(HandOverKind.Hello, HandOverProtocol.Hello(version, HandOverProtocol.Build));
        var answer = channel.Receive(s_answer);
        if (answer.Kind != HandOverKind.Welcome)
        {
            channel.Dispose();
            throw new ConfigurationException([$"Upgrade refused by the old host (pid {peer.Pid}): {(answer.Kind == HandOverKind.Refused ? HandOverProtocol.ReadReason(answer) : answer.Kind.ToString())}"]);
        }

        logger.LogInformation("Upgrade: taking over from pid {Pid}; preparing every endpoint before asking for the sockets", peer.Pid);
        return new HandOverClient(channel, peer.Pid, logger, connections);
    }

    public IReadOnlyDictionary<string, InheritedListener> TakeListeners(IReadOnlyList<PluggableServer> prepared)
    {
        _channel.Send(HandOverKind.ListenersWanted, []);
        var message = _channel.Receive(s_answer);
        if (message.Kind != HandOverKind.Listeners)
        {
            message.CloseDescriptors();
            throw new ConfigurationException([$"Upgrade: the old host answered {message.Kind} instead of its sockets"]);
        }

        var (origin, endpoints) = ListenerHandOver.Read(message);
        Origin = origin;
        var listeners = new Dictionary<string, InheritedListener>(StringComparer.Ordinal);
        foreach (var endpoint in endpoints)
        {
            listeners[endpoint.Name] = endpoint.Listener;
            if (prepared.FirstOrDefault(s => s.Name == endpoint.Name) is { } server)
            {
                server.Metrics.ImportTotals(endpoint.Totals);
            }
        }

        _logger.LogInformation("Upgrade: received {Count} listening socket(s) from pid {Pid} ({Build})", endpoints.Count, origin.FromPid, origin.FromBuild);
        HandOverProtocol.TestDelay("listeners");
        return listeners;
    }

    public void Serving(IReadOnlyList<PluggableServer> servers)
    {
        _serving = true;
        try
        {
            _channel.Send(HandOverKind.Serving, []);
            var released = _channel.Receive(s_answer);
            if (released.Kind != HandOverKind.Released)
            {
                throw new InvalidDataException($"expected Released, got {released.Kind}");
            }
        }
        catch (Exception exception) when (exception is IOException or InvalidDataException or TimeoutException)
        {
            // We hold the sockets and accept: whatever happened to the old host, this one serves on.
            _logger.LogWarning("Upgrade: the old host (pid {Pid}) did not confirm it stopped accepting ({Reason}); serving on", OldPid, exception.Message);
            _released.TrySetResult();
            return;
        }

        _released.TrySetResult();
        // A thread of its own: it blocks on the channel until Done, and the pool's threads serve connections.
        _ = Task.Factory.StartNew(() => AdoptConnections(servers), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Tells the old host why this one cannot start (before it serves), so <c>upgrade</c> prints it.</summary>
    public void Fail(string reason)
    {
        if (_serving)
        {
            return;
        }

        try
        {
            _channel.Send(HandOverKind.Refused, HandOverProtocol.Reason(reason));
        }
        catch (IOException)
        {
            // The old host is gone; it learns nothing more.
        }
    }

    private void AdoptConnections(IReadOnlyList<PluggableServer> servers)
    {
        try
        {
            _connections.Receive(_channel, servers);
            _logger.LogInformation("Upgrade: the hand-over from pid {Pid} is complete", OldPid);
        }
        catch (Exception exception) when (exception is IOException or InvalidDataException or TimeoutException)
        {
            _logger.LogDebug("Upgrade: the channel to pid {Pid} closed: {Reason}", OldPid, exception.Message);
        }
        finally
        {
            _channel.Dispose();
        }
    }

    public void Dispose()
    {
        if (!_serving)
        {
            _channel.Dispose();
        }
    }
}
