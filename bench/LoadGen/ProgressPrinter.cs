using System.Diagnostics;

namespace PluggableNet.LoadGen;

/// <summary>Prints one progress line per second to stderr while a run is going on.</summary>
internal sealed class ProgressPrinter : IAsyncDisposable
{
    private readonly LoadRunner _runner;
    private readonly TextWriter _writer;
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _loop;

    public ProgressPrinter(LoadRunner runner, TextWriter writer)
    {
        _runner = runner;
        _writer = writer;
        _loop = Task.Run(LoopAsync);
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _cts.Dispose();
    }

    private async Task LoopAsync()
    {
        var started = Stopwatch.GetTimestamp();
        var last = 0L;
        var lastAt = started;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(_cts.Token).ConfigureAwait(false))
            {
                var now = Stopwatch.GetTimestamp();
                var completed = _runner.CompletedRequests;
                var rate = (completed - last) / Stopwatch.GetElapsedTime(lastAt, now).TotalSeconds;
                _writer.WriteLine(
                    $"[{Stopwatch.GetElapsedTime(started, now).TotalSeconds,5:F0}s] {rate,12:N0} req/s  total {completed,12:N0}  errors {_runner.Errors}");
                last = completed;
                lastAt = now;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
