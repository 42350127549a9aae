using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Plugins.Isolation;
using PluggableNet.Server.Sessions;

namespace PluggableNet.Server.Plugins;

/// <summary>Loading a plugin in <c>Isolation Process</c>: its code goes to a worker process, the host keeps a stand-in.</summary>
internal sealed partial class PluginFactory
{
    /// <summary>How long a worker may take to start and load its plugin.</summary>
    private static readonly TimeSpan s_workerReadyTimeout = TimeSpan.FromSeconds(30);

    private PluginGeneration LoadIsolated(string folder, string path, IsolationSettings isolation)
    {
        var name = Path.GetFileName(folder);
        var (_, signature) = SnapshotSettings(name);
        var values = configuration.GetSection($"Plugins:{name}")
            .AsEnumerable(makePathsRelative: true)
            .Where(pair => pair.Value is not null)
            .ToList();
        var logger = loggerFactory.CreateLogger("PluggableNet.Isolation");
        var launch = new WorkerLaunch(PluginsPath, name, values, isolation, logger, s_workerReadyTimeout) { Channels = ReactorChannels, Counters = IsolationCounters.For(name) };
        var worker = WorkerProcess.Start(launch);
        var ready = worker.Ready;
        if (ready.Length < 4)
        {
            worker.Dispose();
            throw new PluginLoadException($"Plugin {name}'s worker answered an unexpected ready frame.");
        }

        if (ready[2] == "1")
        {
            worker.Dispose();
            throw new PluginLoadException(
                $"{path} is a session plugin (ISessionPlugin), which Plugins:{name}:Isolation Process does not support: its sessions live in the host's connections and push from there. Set Plugins:{name}:Isolation to InProcess (docs/isolation.md).");
        }

        logger.LogInformation(
            "Plugin {Plugin} {Version} runs in worker process {Pid} (Isolation Process, {Execution} in the worker; memory limit {Limit}; at most {MaxRestarts} restarts in {Window} s)",
            name, ready[0], worker.Pid, ready[1], isolation.MaxMemoryBytes > 0 ? $"{isolation.MaxMemoryBytes} bytes ({worker.MemoryLimit})" : "none", isolation.MaxRestarts, isolation.RestartWindow.TotalSeconds);
        var plugin = new IsolatedPlugin(launch, worker, ProcessTimeoutMs);
        return new PluginGeneration(name, ready[0], Interlocked.Increment(ref _generations), plugin, services: null, loader: null, path, new SessionScope(_sessions))
        {
            SettingsSignature = signature,
            Build = ready[3],
        };
    }
}
