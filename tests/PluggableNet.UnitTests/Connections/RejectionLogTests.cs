using PluggableNet.Server.Connections;
using PluggableNet.Tests.Infrastructure;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace PluggableNet.UnitTests.Connections;

/// <summary>
/// Refused connections are logged as a rate: at most one line a second, each with how many were refused, so a
/// flood of connections over <c>Limits:MaxConnections</c> cannot flood the log. Time is passed in, in milliseconds.
/// </summary>
public sealed class RejectionLogTests : IDisposable
{
    private const int MaxConnections = 64;
    private const long Start = 1_000_000;
    private readonly LogCapture _capture = new();
    private readonly SerilogLoggerFactory _loggerFactory;
    private readonly RejectionLog _log;

    public RejectionLogTests()
    {
        _loggerFactory = new SerilogLoggerFactory(new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(_capture).CreateLogger(), dispose: true);
        _log = new RejectionLog(_loggerFactory.CreateLogger("Transport"), MaxConnections);
    }

    [Fact]
    public void TheFirstRejectionIsLoggedAtOnceAsAWarningNamingTheLimit()
    {
        _log.Rejected(Start);

        var line = Assert.Single(Lines());
        Assert.Equal(LogEventLevel.Warning, line.Level);
        Assert.Equal(1L, Count(line));
        Assert.Equal(MaxConnections, Convert.ToInt32(Scalar(line, "Max"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("Limits:MaxConnections", LogCapture.Render(line), StringComparison.Ordinal);
    }

    [Fact]
    public void ABurstWithinASecondIsOneMoreLineCarryingItsCount()
    {
        _log.Rejected(Start);
        for (var i = 0; i < 10_000; i++)
        {
            _log.Rejected(Start + 1 + (i % 999));
        }

        Assert.Single(Lines());

        _log.Flush(Start + 1000);

        Assert.Equal([1L, 10_000L], Lines().Select(Count));
    }

    [Fact]
    public void ASteadyFloodGivesAtMostOneLinePerSecondAndLosesNoCount()
    {
        const int Seconds = 10;
        const int PerSecond = 5_000;
        for (var i = 0; i < Seconds * PerSecond; i++)
        {
            _log.Rejected(Start + (i * 1000L / PerSecond));
        }

        _log.Flush(Start + (Seconds * 1000) + 1000);

        var lines = Lines();
        Assert.InRange(lines.Count, Seconds, Seconds + 1);
        Assert.Equal(Seconds * PerSecond, lines.Sum(Count));
    }

    [Fact]
    public void AFlushBeforeASecondHasPassedWaitsAndALaterOneLogsTheRest()
    {
        _log.Rejected(Start);
        _log.Rejected(Start + 10);
        _log.Rejected(Start + 20);

        _log.Flush(Start + 999);
        Assert.Single(Lines());

        _log.Flush(Start + 1000);
        _log.Flush(Start + 5000);

        Assert.Equal([1L, 2L], Lines().Select(Count));
    }

    [Fact]
    public void WithoutRejectionsFlushesLogNothing()
    {
        for (var t = Start; t < Start + 10_000; t += 500)
        {
            _log.Flush(t);
        }

        Assert.Empty(Lines());
    }

    [Fact]
    public async Task RejectionsFromSeveralReactorsAtOnceAreAllCounted()
    {
        const int Threads = 4;
        const int PerThread = 20_000;
        using var go = new Barrier(Threads);
        await Task.WhenAll(Enumerable.Range(0, Threads).Select(thread => Task.Factory.StartNew(
            () =>
            {
                go.SignalAndWait();
                for (var i = 0; i < PerThread; i++)
                {
                    _log.Rejected(Start + (i / 10));
                }
            },
            TaskCreationOptions.LongRunning)));

        _log.Flush(Start + (PerThread / 10) + 1000);

        var lines = Lines();
        Assert.Equal(Threads * PerThread, lines.Sum(Count));
        Assert.InRange(lines.Count, 1, (PerThread / 10 / 1000) + 2);
    }

    public void Dispose() => _loggerFactory.Dispose();

    private static long Count(LogEvent line) => Convert.ToInt64(Scalar(line, "Count"), System.Globalization.CultureInfo.InvariantCulture);

    private static object? Scalar(LogEvent line, string property) =>
        Assert.IsType<ScalarValue>(line.Properties[property]).Value;

    /// <summary>The rejection lines logged so far (events carrying a refused-connection count).</summary>
    private List<LogEvent> Lines() => _capture.Events.Where(e => e.Properties.ContainsKey("Count")).ToList();
}
