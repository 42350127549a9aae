using System.Collections.Concurrent;
using System.Diagnostics;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;

namespace PluggableNet.Tests.Plugins;

/// <summary>
/// A burst of signals runs the action once, after the burst has been quiet for the quiet period; waits are on the
/// action itself with a bound, and only the checks that something does <em>not</em> happen wait a fixed time.
/// </summary>
public sealed class DebouncerTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ABurstOfSignalsRunsTheActionOnce()
    {
        var quiet = TimeSpan.FromMilliseconds(100);
        var runs = new Runs();
        using var debouncer = new Debouncer(quiet, runs.Record);

        for (var i = 0; i < 50; i++)
        {
            debouncer.Signal();
        }

        await runs.WaitForAsync(1);
        await Task.Delay(quiet * 5);
        Assert.Equal(1, runs.Count);
    }

    [Fact]
    public async Task TheActionWaitsUntilSignalsHaveStoppedForTheQuietPeriod()
    {
        var quiet = TimeSpan.FromMilliseconds(300);
        var runs = new Runs();
        using var debouncer = new Debouncer(quiet, runs.Record);
        var signals = new List<long>();

        // Signals every 20 ms for four quiet periods: a debouncer that did not restart would run about four times.
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < quiet * 4)
        {
            signals.Add(Stopwatch.GetTimestamp());
            debouncer.Signal();
            await Task.Delay(20);
        }

        var last = signals[^1];
        var margin = TimeSpan.FromMilliseconds(15);
        await runs.WaitForAsync(times => times.Any(t => Stopwatch.GetElapsedTime(last, t) >= quiet - margin), "a run a quiet period after the last signal");

        // A run before the end needs a real pause between two signals (a busy machine may stall this loop);
        // half the quiet period leaves room for how late a timestamp is taken.
        var pauses = signals.Zip(signals.Skip(1)).Count(p => Stopwatch.GetElapsedTime(p.First, p.Second) >= quiet / 2);
        Assert.InRange(runs.Count, 1, pauses + 1);
    }

    [Fact]
    public async Task ASignalAfterTheActionRanRunsItAgain()
    {
        var runs = new Runs();
        using var debouncer = new Debouncer(TimeSpan.FromMilliseconds(50), runs.Record);

        debouncer.Signal();
        await runs.WaitForAsync(1);
        debouncer.Signal();
        debouncer.Signal();
        await runs.WaitForAsync(2);

        Assert.Equal(2, runs.Count);
    }

    [Fact]
    public async Task WithoutASignalTheActionNeverRuns()
    {
        var quiet = TimeSpan.FromMilliseconds(50);
        var runs = new Runs();
        using var debouncer = new Debouncer(quiet, runs.Record);

        await Task.Delay(quiet * 5);

        Assert.Equal(0, runs.Count);
    }

    [Fact]
    public async Task DisposingCancelsAPendingRunAndIgnoresLaterSignals()
    {
        var quiet = TimeSpan.FromMilliseconds(100);
        var runs = new Runs();
        var debouncer = new Debouncer(quiet, runs.Record);

        debouncer.Signal();
        debouncer.Dispose();
        debouncer.Signal();
        debouncer.Dispose();

        await Task.Delay(quiet * 5);
        Assert.Equal(0, runs.Count);
    }

    /// <summary>When the action ran, and a way to wait for the n-th run.</summary>
    private sealed class Runs
    {
        private readonly ConcurrentQueue<long> _times = new();
        private readonly SemaphoreSlim _ran = new(0);

        public int Count => _times.Count;

        public IReadOnlyList<long> Times => [.. _times];

        public void Record()
        {
            _times.Enqueue(Stopwatch.GetTimestamp());
            _ran.Release();
        }

        public Task WaitForAsync(int count) => WaitForAsync(times => times.Count >= count, $"{count} run(s)");

        public async Task WaitForAsync(Func<IReadOnlyList<long>, bool> condition, string what)
        {
            while (!condition(Times))
            {
                Assert.True(await _ran.WaitAsync(s_bound), $"the action ran {Count} time(s); expected {what} within {s_bound}");
            }
        }
    }
}
