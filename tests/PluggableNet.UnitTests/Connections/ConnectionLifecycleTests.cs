using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Protocol;
using PluggableNet.Server;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Framing;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;
using PluggableNet.Tests.Infrastructure;
using Serilog;
using Serilog.Extensions.Logging;

namespace PluggableNet.UnitTests.Connections;

/// <summary>Admission, the scan's verdict, close bookkeeping and the drain, as both transports share them.</summary>
public sealed class ConnectionLifecycleTests
{
    private readonly LogCapture _log = new();

    [Fact]
    public void ConnectionsOverTheLimitAreRefusedCountedAndLoggedAsARate()
    {
        var lifecycle = NewLifecycle(maxConnections: 2);

        Assert.True(lifecycle.TryAdmit(now: 5000));
        Assert.True(lifecycle.TryAdmit(now: 5000));
        for (var i = 0; i < 50; i++)
        {
            Assert.False(lifecycle.TryAdmit(now: 5000 + i));
        }

        var metrics = lifecycle.Context.Metrics;
        Assert.Equal(2, metrics.OpenConnections);
        Assert.Equal(50, metrics.RejectedConnections);
        Assert.Equal(52, metrics.AcceptedConnections);

        // One line for the first refusal, one for the other 49 once a second has passed: never one per peer.
        lifecycle.OnScan(now: 5999);
        lifecycle.OnScan(now: 6000);
        var lines = _log.Messages().Where(m => m.Contains("Limits:MaxConnections", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Contains("Rejected 49 connection(s)", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void APlainConnectionIsJudgedOnItsAddressAtAdmissionAndCountedOutWhenItCloses()
    {
        var lifecycle = NewLifecycle(limits: new ServerSettings().ToLimits() with { MaxConnectionsPerAddress = 2 });
        var storm = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("127.0.0.2"), 40000);

        var first = lifecycle.Admit(storm, now: 1000);
        Assert.NotNull(lifecycle.Admit(storm, now: 1000));
        Assert.Null(lifecycle.Admit(storm, now: 1000));
        Assert.NotNull(lifecycle.Admit(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 40000), now: 1000));

        var metrics = lifecycle.Context.Metrics;
        Assert.Equal(3, metrics.OpenConnections);
        Assert.Equal(1, metrics.RejectedOf(RefusalKind.AddressConnections));
        Assert.Contains(_log.Messages(), m => m.Contains("its address 127.0.0.2 opened 2 connection(s) open already (Limits:MaxConnectionsPerAddress)", StringComparison.Ordinal));

        first!.Abort(CloseReason.RemoteReset);
        lifecycle.Closed(first);
        Assert.NotNull(lifecycle.Admit(storm, now: 1001));
    }

    [Fact]
    public void ConnectionsThatWouldTakeTheDescriptorReserveAreRefusedAndAcceptingPausesAtHalfOfIt()
    {
        long limit = 100;
        long others = 35;
        var lifecycle = NewLifecycle();
        lifecycle = new ConnectionLifecycle(lifecycle.Context, 100)
        {
            Headroom = new DescriptorHeadroom(() => lifecycle.Context.Metrics.OpenConnections, () => limit, () => others + lifecycle.Context.Metrics.OpenConnections),
        };

        // 65 free of 100, the reserve 64: one connection is kept, the next refused at once (but still accepted).
        Assert.True(lifecycle.MayAccept(1000));
        Assert.True(lifecycle.TryAdmit(1000));
        Assert.True(lifecycle.MayAccept(1000));
        Assert.False(lifecycle.TryAdmit(1000));
        Assert.Equal(1, lifecycle.Context.Metrics.RejectedOf(RefusalKind.OpenFiles));
        Assert.Contains(_log.Messages(), m => m.Contains("Rejected 1 connection(s) in the last second: 64 descriptor(s) free of the open files limit 100, 64 kept", StringComparison.Ordinal));

        // Something else takes descriptors: at half the reserve, accepting pauses, counted once per pause.
        others += 32;
        Assert.False(lifecycle.MayAccept(1200));
        Assert.False(lifecycle.MayAccept(1201));
        Assert.Equal(1, lifecycle.Context.Metrics.AcceptPauses);
        Assert.Contains(_log.Messages(), m => m.Contains("Accepting paused: 32 descriptor(s) free of the open files limit 100 (68 in use, 1 connection(s)), not even the 32", StringComparison.Ordinal));

        limit = 200;
        Assert.True(lifecycle.MayAccept(1400));
        Assert.Contains(_log.Messages(), m => m.Contains("Accepting again: 132 descriptor(s) free of the open files limit 200", StringComparison.Ordinal));
    }

    [Fact]
    public void AClosedConnectionIsCountedOutAndItsBuffersReturned()
    {
        var lifecycle = NewLifecycle();
        Assert.True(lifecycle.TryAdmit(0));
        var connection = lifecycle.Create(peer: null, now: 0);
        connection.GetReceiveSpan();

        connection.Abort(CloseReason.RemoteReset);
        lifecycle.Closed(connection);

        Assert.Equal(0, lifecycle.Open);
    }

    [Fact]
    public void TimeoutsAreCountedAndLoggedWithTheirDuration()
    {
        var lifecycle = NewLifecycle(limits: new ServerSettings().ToLimits() with { IdleTimeoutMs = 100 });
        Assert.True(lifecycle.TryAdmit(0));
        var connection = new Held(lifecycle.Create(peer: null, now: 0));

        Assert.Equal(CloseReason.None, lifecycle.DueClose(connection, now: 99));
        Assert.Equal(CloseReason.IdleTimeout, lifecycle.DueClose(connection, now: 150));

        Assert.Equal(1, lifecycle.Context.Metrics.Timeouts);
        Assert.Contains(_log.Messages(), m => m.Contains("IdleTimeout after 150 ms", StringComparison.Ordinal));
    }

    [Fact]
    public void ADrainLeavesAConnectionAloneWhileARequestMayBeOnItsWay()
    {
        var lifecycle = NewLifecycle();
        Assert.True(lifecycle.TryAdmit(0));
        var connection = new Held(lifecycle.Create(peer: null, now: 0)) { InFlight = true };
        _ = lifecycle.DrainAsync();

        Assert.Equal(CloseReason.None, lifecycle.DueClose(connection, now: 1));

        connection.InFlight = false;
        Assert.Equal(CloseReason.Shutdown, lifecycle.DueClose(connection, now: 2));
        Assert.Equal(0, lifecycle.Context.Metrics.Timeouts);
    }

    [Fact]
    public async Task TheDrainCompletesWhenTheLastConnectionCloses()
    {
        var lifecycle = NewLifecycle();
        Assert.True(lifecycle.TryAdmit(0));
        Assert.True(lifecycle.TryAdmit(0));
        var first = lifecycle.Create(peer: null, now: 0);

        var drained = lifecycle.DrainAsync();
        lifecycle.Closed(first);
        Assert.False(drained.IsCompleted);

        // The second never got a state machine (reset in the backlog): it still counts.
        lifecycle.Abandoned();
        await drained.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ADrainWithNothingOpenCompletesAtOnce()
    {
        await NewLifecycle().DrainAsync().WaitAsync(TimeSpan.FromSeconds(5));
    }

    private ConnectionLifecycle NewLifecycle(int maxConnections = 100, ConnectionLimits? limits = null)
    {
        var plugins = new PluginSwitch(new PluginGeneration("Test", "1.0.0", 1, new NoAnswer(), null, null, null));
        var codec = new FrameCodec(FramingKind.AsciiDecimal, 5, 1024);
        var context = new ConnectionContext(codec, limits ?? new ServerSettings().ToLimits(), plugins, new OffloadGate(1), new HostMetrics(), new SerilogLoggerFactory(new LoggerConfiguration().WriteTo.Sink(_log).CreateLogger(), dispose: true).CreateLogger("test"));
        return new ConnectionLifecycle(context, maxConnections);
    }

    private sealed class Held(FrameConnection machine) : ITransportConnection
    {
        public FrameConnection Machine { get; } = machine;

        public bool InFlight { get; set; }

        public bool RequestMayBeInFlight => InFlight;
    }

    private sealed class NoAnswer : ILogicPlugin
    {
        public void Process(ReadOnlySpan<byte> request, System.Buffers.IBufferWriter<byte> answer)
        {
        }
    }
}
