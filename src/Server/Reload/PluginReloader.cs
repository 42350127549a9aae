using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;

namespace PluggableNet.Server.Reload;

/// <summary>
/// Turns the reload triggers into swaps on a running <see cref="PluggableServer"/>: a settled change of the active
/// plugin's folder, a settled configuration change (<c>Logic:Plugin</c>, the plugin's own section,
/// <c>Logic:HotReload</c>), and an explicit reload (SIGHUP, wired by the host). Triggers are handled one at a time.
/// </summary>
/// <remarks>
/// A configuration change is read with <see cref="ServerSettings.Read"/> and compared with the last valid settings:
/// an edit that makes any key invalid is rejected as a whole (logged as an error naming the keys) and the last
/// valid settings keep serving; keys that cannot change live are reported as needing a restart (see
/// <see cref="SettingsChange"/>). A folder change is swapped in only once the folder is stable (two equal
/// snapshots of sizes and times) and the assembly loads, validates and compiles; anything less is logged with the
/// file and reason while the old version keeps serving. A changed <c>Plugins:&lt;Name&gt;</c> section reloads the plugin: its settings are a snapshot taken
/// at load, so a new generation is how new settings reach it.
/// </remarks>
internal sealed partial class PluginReloader : IAsyncDisposable
{
    private readonly PluggableServer _server;
    private readonly IConfiguration _configuration;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly PluginReloadTimings _timings;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _workLock = new();
    private readonly HashSet<Task> _work = [];

    private PluginFolderWatcher? _folderWatcher;
    private ConfigurationWatcher? _configurationWatcher;
    private FolderSnapshot? _loadedSnapshot;
    private FolderSnapshot? _failedSnapshot;
    private ServerSettings _settings;
    private IReadOnlyList<string>? _endpoints;
    private bool _started;
    private bool _disposed;

    /// <summary>Prepares the triggers for <paramref name="server"/>; nothing is watched until <see cref="Start"/>.</summary>
    /// <param name="server">The running server whose plugin is swapped.</param>
    /// <param name="configuration">The host's configuration (the root, so a signal can reload it).</param>
    /// <param name="loggerFactory">For the <c>PluggableNet.Reload</c> log category.</param>
    /// <param name="timings">Debounce and stability timings; the defaults when null.</param>
    /// <param name="endpoints">The names of every running endpoint, given to one reloader only: it reports endpoints added or removed (restart-only).</param>
    public PluginReloader(PluggableServer server, IConfiguration configuration, ILoggerFactory loggerFactory, PluginReloadTimings? timings = null, IReadOnlyList<string>? endpoints = null)
    {
        _endpoints = endpoints;
        _server = server;
        _configuration = configuration;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("PluggableNet.Reload");
        _timings = timings ?? new PluginReloadTimings();
        _settings = server.Settings;
    }

    /// <summary>Whether the active plugin's folder is being watched (<c>Logic:HotReload</c>).</summary>
    public bool WatchingFiles => Volatile.Read(ref _folderWatcher) is not null;

    /// <summary>The plugin whose folder is watched, or null.</summary>
    public string? WatchedPlugin => Volatile.Read(ref _folderWatcher)?.PluginName;

    /// <summary>Starts watching the configuration and, if <c>Logic:HotReload</c> is on, the active plugin's folder.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_started)
        {
            return;
        }

        _started = true;

        // Compared with later reads of the same configuration; the server's own record may carry values the host
        // set in code (such as the control socket beside the pidfile).
        _settings = TryRead(out var initial, out _) ? initial : _server.Settings;
        if (_settings.HotReload)
        {
            StartFolderWatcher(_server.Plugins.Current.Name, sinceLoad: true);
        }

        _configurationWatcher = new ConfigurationWatcher(_configuration, _timings.ConfigurationDebounce, () => Track(OnConfigurationSettledAsync()));
    }

    /// <summary>
    /// The explicit reload (SIGHUP): re-reads the configuration (when it is an <see cref="IConfigurationRoot"/>), then
    /// loads the configured plugin afresh, whether or not anything changed. Never throws.
    /// </summary>
    public Task<SwapResult?> ReloadFromSignalAsync() => Track(SerializedAsync(ReloadFromSignalCoreAsync));

    /// <summary>Runs one trigger at a time; logs instead of throwing, as these run on timers and signal threads.</summary>
    private async Task<SwapResult?> SerializedAsync(Func<CancellationToken, Task<SwapResult?>> work)
    {
        if (_disposed)
        {
            return null;
        }

        var cancellationToken = _stopping.Token;
        try
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }

        try
        {
            return await work(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception exception)
        {
            var current = _server.Plugins.Current;
            _logger.LogError(exception, "Reload failed unexpectedly; {Plugin} {Version} keeps serving", current.Name, current.Version);
            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Keeps running handlers visible to <see cref="DisposeAsync"/>, which waits for them.</summary>
    private Task<SwapResult?> Track(Task<SwapResult?> task)
    {
        lock (_workLock)
        {
            _work.Add(task);
        }

        _ = task.ContinueWith(
            static (done, state) =>
            {
                var self = (PluginReloader)state!;
                lock (self._workLock)
                {
                    self._work.Remove(done);
                }
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return task;
    }

    /// <summary>Stops every trigger and waits for a swap in progress to finish (its drain is bounded by <c>Logic:SwapDrainTimeout</c>).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _configurationWatcher?.Dispose();
        Interlocked.Exchange(ref _folderWatcher, null)?.Dispose();
        await _stopping.CancelAsync().ConfigureAwait(false);

        Task[] running;
        lock (_workLock)
        {
            running = [.. _work];
        }

        await Task.WhenAll(running).ConfigureAwait(false);

        // _gate and _stopping are left to the GC: a timer callback racing with this may still touch them, and
        // neither holds anything unmanaged (no wait handle was ever asked of the semaphore).
    }
}
