using System.Diagnostics.Metrics;
using PluggableNet.Protocol;
using PluggableNet.Server;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Framing;
using PluggableNet.Server.Interop;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Transport.Epoll;
using PluggableNet.Tests.Infrastructure;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace PluggableNet.Tests.Transport;

/// <summary>
/// A failure of the host's own is not the peer's fault: a real reactor handed a descriptor that epoll refuses (a
/// regular file: <c>epoll_ctl(ADD)</c> fails with EPERM) closes it as <see cref="CloseReason.InternalError"/>, logs one
/// Error line, and tags the connection's duration <c>internal_error</c>, never <c>remote_reset</c>.
/// </summary>
public sealed class InternalErrorTests : IDisposable
{
    private readonly LogCapture _log = new();
    private readonly string _file = Path.GetTempFileName();

    [Fact]
    public async Task AFailedEpollCtlClosesTheConnectionAsAnInternalError()
    {
        using var loggerFactory = new SerilogLoggerFactory(new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(_log).CreateLogger(), dispose: true);
        var plugins = new PluginSwitch(new PluginGeneration("Test", "1.0.0", 1, new NoAnswer(), null, null, null));
        var metrics = new HostMetrics();
        var context = new ConnectionContext(new FrameCodec(FramingKind.AsciiDecimal, 5, 1024), new ServerSettings().ToLimits(), plugins, new OffloadGate(1), metrics, loggerFactory.CreateLogger("test"));
        var lifecycle = new ConnectionLifecycle(context, maxConnections: 10);

        var closeTags = new List<KeyValuePair<string, object?>[]>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument, context.Meter.ConnectionDuration))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            lock (closeTags)
            {
                closeTags.Add(tags.ToArray());
            }
        });
        listener.Start();

        var set = new ReactorSet(metrics);
        var reactor = new EpollReactor(0, listenFd: -1, lifecycle, set);
        set.Add(reactor);
        reactor.Start();
        try
        {
            Assert.True(lifecycle.TryAdmit(Environment.TickCount64));
            var machine = lifecycle.Create(peer: null, Environment.TickCount64);
            var fd = Libc.open(_file, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
            Assert.True(fd >= 0, "open the temporary file");

            reactor.HandOff(fd, machine);

            await Wait.UntilAsync(() => lifecycle.Open == 0, because: "the refused connection to be closed");
            Assert.Equal(CloseReason.InternalError, machine.CloseReason);
            Assert.Equal(0, reactor.ConnectionCount);

            var errors = _log.Events.Where(e => e.Level >= LogEventLevel.Error).Select(LogCapture.Render).ToList();
            var error = Assert.Single(errors);
            Assert.Contains("internal error in reactor 0: epoll_ctl(ADD)", error, StringComparison.Ordinal);

            var tags = Assert.Single(closeTags);
            Assert.Contains(new KeyValuePair<string, object?>(HostMeter.Tags.CloseReason, "internal_error"), tags);
            Assert.Contains(new KeyValuePair<string, object?>(HostMeter.Tags.ErrorType, "internal_error"), tags);
        }
        finally
        {
            await reactor.AbortAllAsync();
            reactor.Join();
            reactor.Dispose();
        }
    }

    public void Dispose() => File.Delete(_file);

    private sealed class NoAnswer : ILogicPlugin
    {
        public void Process(ReadOnlySpan<byte> request, System.Buffers.IBufferWriter<byte> answer)
        {
        }
    }
}
