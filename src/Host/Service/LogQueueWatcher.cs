namespace PluggableNet.Host.Service;

/// <summary>
/// Says so, once a second at most, when the log queue dropped events: an operator must know the log has gaps.
/// The line itself goes through the same queue, so under a stalled sink it may be dropped too; the count is kept
/// and reported when the sink recovers.
/// </summary>
internal sealed class LogQueueWatcher : IDisposable
{
    private readonly Serilog.ILogger _logger;
    private readonly Timer _timer;
    private long _reported;

    public LogQueueWatcher(Serilog.ILogger logger)
    {
        _logger = logger;
        _timer = new Timer(_ => Report(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public void Dispose()
    {
        _timer.Dispose();
        Report();
    }

    private void Report()
    {
        var dropped = LogQueue.Monitor.Dropped;
        var unreported = dropped - Interlocked.Exchange(ref _reported, dropped);
        if (unreported > 0)
        {
            _logger.Warning("Dropped {Count} log event(s): the log sinks are not keeping up ({Dropped} since start)", unreported, dropped);
        }
    }
}
