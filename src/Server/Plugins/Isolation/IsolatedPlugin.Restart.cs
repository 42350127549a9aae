using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>The supervisor's reaction to a dead worker: log it, restart within the intensity limit, else give up.</summary>
internal sealed partial class IsolatedPlugin
{
    private void OnDied(WorkerProcess worker, string description)
    {
        lock (_lock)
        {
            if (_disposed || !ReferenceEquals(_worker, worker))
            {
                return;
            }

            _worker = null;
        }

        _launch.Counters.WorkerCrashed();
        worker.Died = null;
        _ = Task.Run(() =>
        {
            worker.Dispose();
            _logger.LogError("Plugin {Plugin} worker process {Pid} {Description}; its requests in flight were failed (PLUGIN_UNAVAILABLE on v2, connection closed on v1)", _launch.Name, worker.Pid, description);
            RestartOrGiveUp();
        });
    }

    private void RestartOrGiveUp()
    {
        while (true)
        {
            bool allowed;
            lock (_lock)
            {
                if (_disposed)
                {
                    return;
                }

                allowed = _intensity.TryRestart(Environment.TickCount64);
                if (!allowed)
                {
                    GaveUp = true;
                    _restarted.TrySetResult();
                }
            }

            if (!allowed)
            {
                _logger.LogCritical(
                    "Plugin {Plugin} crashed more than {MaxRestarts} times within {Window} s ({Keys}): it is not restarted, the endpoint reports not ready and refuses its requests until the plugin is reloaded (SIGHUP, reload, or a new version)",
                    _launch.Name, _launch.Isolation.MaxRestarts, _launch.Isolation.RestartWindow.TotalSeconds, $"Plugins:{_launch.Name}:MaxRestarts, Plugins:{_launch.Name}:RestartWindow");
                return;
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                var next = WorkerProcess.Start(_launch);
                Interlocked.Increment(ref _restarts);
                _launch.Counters.WorkerRestarted();
                Adopt(next);
                _logger.LogWarning("Plugin {Plugin} restarted in worker process {Pid} in {ElapsedMs:F0} ms", _launch.Name, next.Pid, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                return;
            }
            catch (PluginLoadException exception)
            {
                // A plugin that now fails to load counts as one more crash.
                _logger.LogError("Plugin {Plugin}: restarting its worker failed: {Reason}", _launch.Name, exception.Message);
            }
        }
    }
}
