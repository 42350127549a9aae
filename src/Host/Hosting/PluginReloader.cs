using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PluggableNet.Host.Plugins;

namespace PluggableNet.Host.Hosting;

/// <summary>
/// Turns the reload triggers into swaps on a running <see cref="PluggableServer"/>: a settled change of the active
/// plugin's folder, a settled configuration change (<c>Logic:Plugin</c>, the plugin's own section,
/// <c>Logic:HotReload</c>), and an explicit reload (SIGHUP, wired by the host). Triggers are handled one at a time.
/// </summary>
/// <remarks>
/// A folder change is swapped in only once the folder is stable (two equal snapshots of sizes and times) and the
/// assembly loads, validates and compiles; anything less is logged with the file and reason while the old version
/// keeps serving. A changed <c>Plugins:&lt;Name&gt;</c> section reloads the plugin: its settings are a snapshot taken
/// at load, so a new generation is how new settings reach it.
/// </remarks>
public sealed class PluginReloader : IAsyncDisposable
{
    private static readonly HostSettings s_defaults = new();

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
    private string? _reportedPluginsPath;
    private bool _started;
    private bool _disposed;

    /// <summary>Prepares the triggers for <paramref name="server"/>; nothing is watched until <see cref="Start"/>.</summary>
    /// <param name="server">The running server whose plugin is swapped.</param>
    /// <param name="configuration">The host's configuration (the root, so a signal can reload it).</param>
    /// <param name="loggerFactory">For the <c>PluggableNet.Reload</c> log category.</param>
    /// <param name="timings">Debounce and stability timings; the defaults when null.</param>
    public PluginReloader(PluggableServer server, IConfiguration configuration, ILoggerFactory loggerFactory, PluginReloadTimings? timings = null)
    {
        _server = server;
        _configuration = configuration;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("PluggableNet.Reload");
        _timings = timings ?? new PluginReloadTimings();
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
        _reportedPluginsPath = _server.Factory.PluginsPath;
        if (ReadHotReload(_server.Settings.HotReload))
        {
            StartFolderWatcher(_server.Plugins.Current.Name);
        }

        _configurationWatcher = new ConfigurationWatcher(_configuration, _timings.ConfigurationDebounce, () => Track(OnConfigurationSettledAsync()));
    }

    /// <summary>
    /// The explicit reload (SIGHUP): re-reads the configuration (when it is an <see cref="IConfigurationRoot"/>), then
    /// loads the configured plugin afresh, whether or not anything changed. Never throws.
    /// </summary>
    public Task<SwapResult?> ReloadFromSignalAsync() => Track(SerializedAsync(ReloadFromSignalCoreAsync));

    private async Task<SwapResult?> ReloadFromSignalCoreAsync(CancellationToken cancellationToken)
    {
        if (_configuration is IConfigurationRoot root)
        {
            try
            {
                root.Reload();
            }
            catch (Exception exception)
            {
                _logger.LogError("Reloading the configuration failed: {Reason}; reloading the plugin with the configuration in effect", exception.Message);
            }
        }

        var desired = ReadPluginName();
        ApplyHotReload(desired);
        var result = await _server.ReloadAsync(ReloadTrigger.Signal, desired, cancellationToken).ConfigureAwait(false);
        AfterSwap(result);
        return result;
    }

    private Task<SwapResult?> OnFolderSettledAsync(string plugin) => SerializedAsync(async cancellationToken =>
    {
        var current = _server.Plugins.Current;
        if (!string.Equals(plugin, current.Name, StringComparison.OrdinalIgnoreCase))
        {
            // Logic:Plugin switched away while this change was settling: the new plugin is already fresh.
            return null;
        }

        var folder = _server.Factory.FindFolder(plugin);
        if (folder is null)
        {
            _logger.LogWarning("Plugin folder {Plugin} is gone from {PluginsPath}; {Current} {Version} keeps serving", plugin, _server.Factory.PluginsPath, current.Name, current.Version);
            return null;
        }

        var snapshot = await FolderSnapshot.WaitUntilStableAsync(folder, _timings.StabilityInterval, _timings.MaxStabilityWait, cancellationToken).ConfigureAwait(false);
        if (snapshot is null)
        {
            _logger.LogWarning(
                "Plugin folder {Folder} was still changing after {MaxWait}; not swapping until it settles. {Current} {Version} keeps serving",
                folder, _timings.MaxStabilityWait, current.Name, current.Version);
            return null;
        }

        if (snapshot.Equals(_loadedSnapshot) || snapshot.Equals(_failedSnapshot))
        {
            // The files are exactly those already loaded (or already rejected): nothing new to try.
            _logger.LogDebug("Plugin folder {Folder} changed back to content already tried; no swap", folder);
            return null;
        }

        var result = await _server.ReloadAsync(ReloadTrigger.File, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            _loadedSnapshot = snapshot;
            _failedSnapshot = null;
        }
        else
        {
            _failedSnapshot = snapshot;
        }

        return result;
    });

    private Task<SwapResult?> OnConfigurationSettledAsync() => SerializedAsync(async cancellationToken =>
    {
        var desired = ReadPluginName();
        ApplyHotReload(desired);
        ReportPluginsPathChange();

        var current = _server.Plugins.Current;
        SwapResult result;
        if (!string.Equals(desired, current.Name, StringComparison.OrdinalIgnoreCase))
        {
            result = await _server.ReloadAsync(ReloadTrigger.Config, desired, cancellationToken).ConfigureAwait(false);
        }
        else if (!string.Equals(_server.Factory.SettingsSignature(current.Name), current.SettingsSignature, StringComparison.Ordinal))
        {
            result = await _server.ReloadAsync(ReloadTrigger.Config, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _logger.LogDebug("Configuration reloaded; nothing concerning plugin {Plugin} changed", current.Name);
            return null;
        }

        AfterSwap(result);
        return result;
    });

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

    /// <summary>Points the folder watcher at the plugin now serving, and remembers its files as loaded.</summary>
    private void AfterSwap(SwapResult result)
    {
        if (!result.Succeeded)
        {
            return;
        }

        var name = result.Serving.Name;
        var watcher = Volatile.Read(ref _folderWatcher);
        if (watcher is not null && !string.Equals(watcher.PluginName, name, StringComparison.Ordinal))
        {
            watcher.Retarget(name);
            _logger.LogDebug("Now watching plugin folder {Plugin} for changes", name);
        }

        // Files as of just after the load: a change during the load differs from this, so it is swapped in next.
        _loadedSnapshot = _server.Factory.FindFolder(name) is { } folder ? FolderSnapshot.Take(folder) : null;
        _failedSnapshot = null;
    }

    private string ReadPluginName() => _configuration["Logic:Plugin"] is { } name && !string.IsNullOrWhiteSpace(name) ? name.Trim() : s_defaults.Plugin;

    private bool ReadHotReload(bool fallback)
    {
        var text = _configuration["Logic:HotReload"];
        if (string.IsNullOrWhiteSpace(text))
        {
            return s_defaults.HotReload;
        }

        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        _logger.LogWarning("Logic:HotReload: '{Value}' is not true or false; keeping it {Current}", text, fallback);
        return fallback;
    }

    private void ApplyHotReload(string plugin)
    {
        var watching = WatchingFiles;
        var wanted = ReadHotReload(watching);
        if (wanted && !watching)
        {
            StartFolderWatcher(_server.Plugins.Current.Name);
            _logger.LogInformation("Logic:HotReload turned on: watching plugin folder {Plugin}", _server.Plugins.Current.Name);
        }
        else if (!wanted && watching)
        {
            Interlocked.Exchange(ref _folderWatcher, null)?.Dispose();
            _logger.LogInformation("Logic:HotReload turned off: plugin {Plugin} changes on disk are no longer swapped in", plugin);
        }
    }

    private void StartFolderWatcher(string plugin)
    {
        try
        {
            var watcher = new PluginFolderWatcher(
                _server.Factory.PluginsPath,
                plugin,
                _timings.FileDebounce,
                settled => Track(OnFolderSettledAsync(settled)),
                _loggerFactory.CreateLogger("PluggableNet.Reload"));
            Interlocked.Exchange(ref _folderWatcher, watcher)?.Dispose();
            if (_server.Factory.FindFolder(plugin) is { } folder)
            {
                _loadedSnapshot ??= FolderSnapshot.Take(folder);
            }
        }
        catch (Exception exception) when (exception is ArgumentException or IOException or PlatformNotSupportedException)
        {
            _logger.LogWarning("Cannot watch {PluginsPath} for plugin changes: {Reason}; swap with SIGHUP instead", _server.Factory.PluginsPath, exception.Message);
        }
    }

    private void ReportPluginsPathChange()
    {
        if (_configuration["Logic:PluginsPath"] is not { Length: > 0 } text)
        {
            return;
        }

        string path;
        try
        {
            path = Path.GetFullPath(text, AppContext.BaseDirectory);
        }
        catch (ArgumentException)
        {
            return;
        }

        if (!string.Equals(path, _reportedPluginsPath, StringComparison.Ordinal))
        {
            _reportedPluginsPath = path;
            if (!string.Equals(path, _server.Factory.PluginsPath, StringComparison.Ordinal))
            {
                _logger.LogWarning("Logic:PluginsPath changed to {Path}; it takes effect at the next restart (still loading from {Current})", path, _server.Factory.PluginsPath);
            }
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
