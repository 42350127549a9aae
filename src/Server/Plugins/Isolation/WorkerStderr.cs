using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>A worker's standard error: each line relayed to the host's log, the last ones kept for the crash report.</summary>
internal sealed class WorkerStderr
{
    private const int Kept = 12;
    private readonly Queue<string> _lines = new();
    private readonly ManualResetEventSlim _ended = new();
    private readonly ILogger _logger;
    private readonly string _plugin;
    private int _pid;

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
            _ended.Set();
            return;
        }

        lock (_lines)
        {
            if (_lines.Count == Kept)
            {
                _lines.Dequeue();
            }

            _lines.Enqueue(line.Data);
        }

        _logger.LogInformation("[plugin {Plugin} worker {Pid}] {Line}", _plugin, _pid, line.Data);
    }
}
