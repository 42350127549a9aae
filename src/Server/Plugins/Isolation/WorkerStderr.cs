using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// A worker's standard error: lines relayed to the host's log, at most <see cref="LinesPerWindow"/> per
/// <see cref="WindowMs"/> (a worker that spams cannot flood the host's log; the lines dropped are counted and said at
/// Warning), and the last ones always kept for the crash report.
/// </summary>
internal sealed class WorkerStderr
{
    /// <summary>Lines relayed per window, at most; the rest of the window's are counted, not logged.</summary>
    public const int LinesPerWindow = 100;

    public const long WindowMs = 10_000;

    private const int Kept = 12;
    private readonly Queue<string> _lines = new();
    private readonly ManualResetEventSlim _ended = new();
    private readonly ILogger _logger;
    private readonly string _plugin;
    private int _pid;
    private long _windowStart = long.MinValue;
    private int _relayedInWindow;
    private long _dropped;

    public WorkerStderr(Process process, ILogger logger, string plugin)
    {
        _logger = logger;
        _plugin = plugin;
        process.ErrorDataReceived += OnLine;
    }

    /// <summary>Set once the process started: lines are tagged with it.</summary>
    public int Pid
    {
        set => _pid = value;
    }

    /// <summary>The last lines, joined with " | ".</summary>
    public string Tail()
    {
        lock (_lines)
        {
            return string.Join(" | ", _lines);
        }
    }

    public void WaitForEnd(TimeSpan timeout) => _ended.Wait(timeout);

    private void OnLine(object sender, DataReceivedEventArgs line)
    {
        if (line.Data is null)
        {
            long dropped;
            lock (_lines)
            {
                dropped = _dropped;
                _dropped = 0;
            }

            ReportDropped(dropped);
            _ended.Set();
            return;
        }

        bool relay;
        bool reachedLimit;
        long droppedBefore = 0;
        lock (_lines)
        {
            if (_lines.Count == Kept)
            {
                _lines.Dequeue();
            }

            _lines.Enqueue(line.Data);
            var now = Environment.TickCount64;
            if (now - _windowStart >= WindowMs)
            {
                _windowStart = now;
                _relayedInWindow = 0;
                droppedBefore = _dropped;
                _dropped = 0;
            }

            relay = _relayedInWindow < LinesPerWindow;
            if (relay)
            {
                _relayedInWindow++;
            }
            else
            {
                _dropped++;
            }

            reachedLimit = relay && _relayedInWindow == LinesPerWindow;
        }

        ReportDropped(droppedBefore);
        if (relay)
        {
            _logger.LogInformation("[plugin {Plugin} worker {Pid}] {Line}", _plugin, _pid, line.Data);
            if (reachedLimit)
            {
                _logger.LogWarning(
                    "[plugin {Plugin} worker {Pid}] {Lines} lines of standard error within {Window} s: further lines are not logged until the window ends (the last {Kept} are kept for a crash report)",
                    _plugin, _pid, LinesPerWindow, WindowMs / 1000, Kept);
            }
        }
    }

    private void ReportDropped(long dropped)
    {
        if (dropped > 0)
        {
            _logger.LogWarning("[plugin {Plugin} worker {Pid}] {Dropped} lines of standard error were not logged (more than {Lines} in {Window} s)", _plugin, _pid, dropped, LinesPerWindow, WindowMs / 1000);
        }
    }
}
