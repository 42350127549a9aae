using PluggableNet.Server.Diagnostics;
using PluggableNet.Tests.Infrastructure;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace PluggableNet.UnitTests.Diagnostics;

/// <summary>Events a peer can repeat at will: one full line per second and kind, the rest summed up.</summary>
public sealed class ThrottledLogTests : IDisposable
{
    private const long Start = 1_000_000;
    private readonly LogCapture _capture = new();
    private readonly SerilogLoggerFactory _loggerFactory;
    private readonly ThrottledLog _log;

    public ThrottledLogTests()
    {
        _loggerFactory = new SerilogLoggerFactory(new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(_capture).CreateLogger(), dispose: true);
        _log = new ThrottledLog(_loggerFactory.CreateLogger("Connection"));
    }

    [Fact]
    public void TheFirstOfEachKindIsLoggedInFull()
    {
        Assert.True(_log.ShouldLog(ThrottledEvent.HeaderNotDigits, 0));
        Assert.True(_log.ShouldLog(ThrottledEvent.ReadTimeout, 0));
        Assert.False(_log.ShouldLog(ThrottledEvent.HeaderNotDigits, 1));
    }

    [Fact]
    public void ABurstIsOneFullLineThenOneSummaryWithItsCount()
    {
        var full = Enumerable.Range(0, 10_000).Count(i => _log.ShouldLog(ThrottledEvent.HeaderNotDigits, Start + (i / 100)));
        Assert.Equal(1, full);

        _log.Flush(Start + 999);
        Assert.Empty(_capture.Events);

        _log.Flush(Start + 1000);
        var summary = Assert.Single(_capture.Events);
        Assert.Equal(LogEventLevel.Information, summary.Level);
        Assert.Contains("9999 more connection event(s) of kind HeaderNotDigits", LogCapture.Render(summary), StringComparison.Ordinal);

        // Counted once: a later flush has nothing more to say, and the next second starts with a full line again.
        _log.Flush(Start + 5000);
        Assert.Single(_capture.Events);
        Assert.True(_log.ShouldLog(ThrottledEvent.HeaderNotDigits, Start + 5000));
    }

    [Fact]
    public void KindsAreThrottledApart()
    {
        Assert.True(_log.ShouldLog(ThrottledEvent.HeaderZeroLength, Start));
        Assert.True(_log.ShouldLog(ThrottledEvent.HeaderTooLarge, Start));
        Assert.False(_log.ShouldLog(ThrottledEvent.HeaderZeroLength, Start + 1));

        _log.Flush(Start + 2000);

        Assert.Contains(_capture.Messages(), m => m.Contains("1 more connection event(s) of kind HeaderZeroLength", StringComparison.Ordinal));
        Assert.DoesNotContain(_capture.Messages(), m => m.Contains("kind HeaderTooLarge", StringComparison.Ordinal));
    }

    [Fact]
    public void PluginFaultSummariesAreWarnings()
    {
        _log.ShouldLog(ThrottledEvent.PluginFault, Start);
        _log.ShouldLog(ThrottledEvent.PluginFault, Start + 1);

        _log.Flush(Start + 1000);

        Assert.Equal(LogEventLevel.Warning, Assert.Single(_capture.Events).Level);
    }

    [Fact]
    public async Task ConcurrentEventsAreAllCounted()
    {
        const int Threads = 4;
        const int PerThread = 25_000;
        var full = 0;
        await Task.WhenAll(Enumerable.Range(0, Threads).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                if (_log.ShouldLog(ThrottledEvent.IdleTimeout, Start))
                {
                    Interlocked.Increment(ref full);
                }
            }
        })));

        _log.Flush(Start + 1000);

        Assert.Equal(1, full);
        Assert.Contains(_capture.Messages(), m => m.Contains($"{(Threads * PerThread) - 1} more connection event(s) of kind IdleTimeout", StringComparison.Ordinal));
    }

    public void Dispose() => _loggerFactory.Dispose();
}
