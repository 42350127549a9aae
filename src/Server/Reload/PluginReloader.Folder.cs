using Microsoft.Extensions.Logging;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;

namespace PluggableNet.Server.Reload;

/// <summary>The folder trigger: a settled, stable change of the active plugin's folder reloads it.</summary>
internal sealed partial class PluginReloader
{
    private Task<SwapResult?> OnFolderChangedAsync(PluginFolderChange change) => SerializedAsync(async cancellationToken =>
    {
        var plugin = change.Plugin;
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

        // A folder renamed into place, or files moved in whole, are complete: one look is enough. Only writes
        // (a copy, an editor saving in place) need two equal looks apart to tell a finished copy from one under way.
        var snapshot = change.Written
            ? await FolderSnapshot.WaitUntilStableAsync(folder, _timings.StabilityInterval, _timings.MaxStabilityWait, cancellationToken).ConfigureAwait(false)
            : FolderSnapshot.Take(folder);
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

        // The files as they were before the load: a change during the load differs from them, so it is swapped in next.
        _loadedSnapshot = result.Serving.LoadedFiles;
        _failedSnapshot = null;
    }

    /// <param name="plugin">The plugin whose folder to watch.</param>
    /// <param name="sinceLoad">
    /// At start: compare with the files the serving generation was loaded from, and reload if they changed since. The
    /// host logs that it listens before this watch begins, and a write in between raised no event for it.
    /// </param>
    private void StartFolderWatcher(string plugin, bool sinceLoad = false)
    {
        try
        {
            var watcher = new PluginFolderWatcher(
                _server.Factory.PluginsPath,
                plugin,
                _timings.FileDebounce,
                change => Track(OnFolderChangedAsync(change)),
                _loggerFactory.CreateLogger("PluggableNet.Reload"));
            Interlocked.Exchange(ref _folderWatcher, watcher)?.Dispose();
            if (_server.Factory.FindFolder(plugin) is { } folder)
            {
                var loadedFrom = sinceLoad ? _server.Plugins.Current.LoadedFiles : null;
                _loadedSnapshot ??= loadedFrom ?? FolderSnapshot.Take(folder);
                if (loadedFrom is not null && !FolderSnapshot.Take(folder).Equals(loadedFrom))
                {
                    Track(OnFolderChangedAsync(new PluginFolderChange(plugin, Replaced: false, Written: true)));
                }
            }
        }
        catch (Exception exception) when (exception is ArgumentException or IOException or PlatformNotSupportedException)
        {
            _logger.LogWarning("Cannot watch {PluginsPath} for plugin changes: {Reason}; swap with SIGHUP instead", _server.Factory.PluginsPath, exception.Message);
        }
    }
}
