using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Reload;

/// <summary>
/// Watches the active plugin's folder and reports at once when a complete new folder is renamed into place (the
/// atomic deploy), and otherwise, once a burst of changes has gone quiet, that it may hold a new version. Every kind of change counts (created, changed, renamed, deleted, any file): a copy raises
/// <c>Changed</c>, an atomic <c>mv</c> deploy raises <c>Renamed</c> or <c>Created</c>, a clean rebuild <c>Deleted</c> first.
/// </summary>
/// <remarks>
/// The watch is on the plugins root (with subfolders), filtered to the target plugin, rather than on the plugin
/// folder itself: a deploy that replaces the whole folder (<c>mv Name.new Name</c>) would otherwise leave us
/// watching a deleted directory. Retargeting after a switch of <c>Logic:Plugin</c> only changes the filter.
/// inotify does not follow symbolic links, so a plugin folder that is a link (<c>Name → releases/1.4</c>) is also
/// watched where it points: files replaced inside the target swap as they would in a real folder, and flipping
/// the link (an event on the root) re-resolves it and moves that second watch to the new target.
/// Dot-prefixed entries of the plugins root are never plugins (a deploy stages <c>.Name.deploying-…</c> and
/// retires <c>.Name.retired-…</c>): nothing inside them is watched for, and renaming the live folder to such a
/// name is the first half of a deploy, not a removal.
/// </remarks>
internal sealed class PluginFolderWatcher : IDisposable
{
    /// <summary>How recent staging activity must be for a plugin folder that appears (Created) to count as renamed into place.</summary>
    private const long DeployActivityWindowMs = 10_000;

    private readonly FileSystemWatcher _watcher;
    private readonly Debouncer _debouncer;
    private readonly Action<PluginFolderChange> _changed;
    private readonly ILogger _logger;
    private readonly string _root;
    private readonly Lock _linkLock = new();
    private string _target;
    private FileSystemWatcher? _linkWatcher;
    private string? _linkTarget;
    private bool _disposed;
    private int _burstWrote;
    private long _deployActivityAt = long.MinValue;

    /// <summary>Starts watching <paramref name="pluginsPath"/> for changes to plugin <paramref name="pluginName"/>.</summary>
    /// <param name="pluginsPath">The plugins root (<c>Logic:PluginsPath</c>).</param>
    /// <param name="pluginName">The folder name of the plugin to watch, matched case-insensitively.</param>
    /// <param name="debounce">How long the folder must stay quiet before <paramref name="settled"/> runs.</param>
    /// <param name="settled">Called with the watched plugin's name once a burst of changes is over, or a new folder was renamed into place.</param>
    /// <param name="logger">Where watcher errors go.</param>
    public PluginFolderWatcher(string pluginsPath, string pluginName, TimeSpan debounce, Action<string> settled, ILogger logger)
        : this(pluginsPath, pluginName, debounce, change => settled(change.Plugin), logger)
    {
    }

    /// <summary>Starts watching, reporting each change with what is known of it (see <see cref="PluginFolderChange"/>).</summary>
    public PluginFolderWatcher(string pluginsPath, string pluginName, TimeSpan debounce, Action<PluginFolderChange> changed, ILogger logger)
    {
        _root = Path.GetFullPath(pluginsPath);
        _target = pluginName;
        _logger = logger;
        _changed = changed;
        _debouncer = new Debouncer(debounce, () =>
            _changed(new PluginFolderChange(Volatile.Read(ref _target), Replaced: false, Written: Interlocked.Exchange(ref _burstWrote, 0) != 0)));
        _watcher = new FileSystemWatcher(_root)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            InternalBufferSize = 64 * 1024,
        };
        _watcher.Created += OnChanged;
        _watcher.Changed += OnChanged;
        _watcher.Deleted += OnChanged;
        _watcher.Renamed += OnRenamed;
        _watcher.Error += OnError;
        _watcher.EnableRaisingEvents = true;
        FollowLink();
    }

    /// <summary>The plugin whose folder is watched.</summary>
    public string PluginName => Volatile.Read(ref _target);

    /// <summary>Watches plugin <paramref name="pluginName"/> from now on (after a switch of <c>Logic:Plugin</c>).</summary>
    public void Retarget(string pluginName)
    {
        Volatile.Write(ref _target, pluginName);
        FollowLink();
    }

    private void OnChanged(object sender, FileSystemEventArgs e)
    {
        if (IsDeployName(e.FullPath))
        {
            Volatile.Write(ref _deployActivityAt, Environment.TickCount64);
            return;
        }

        if (e.ChangeType == WatcherChangeTypes.Created && IsPluginFolder(e.FullPath) && Directory.Exists(e.FullPath)
            && Environment.TickCount64 - Volatile.Read(ref _deployActivityAt) < DeployActivityWindowMs)
        {
            // The rename into place of a deploy whose two halves inotify delivered apart (seen as Created): the
            // staged folder was complete before it was renamed, as in OnRenamed.
            Replaced();
            return;
        }

        if (Concerns(e.FullPath))
        {
            FollowLink();
            Signal(e.ChangeType);
        }
    }

    private void OnRenamed(object sender, RenamedEventArgs e)
    {
        if (IsPluginFolder(e.FullPath) && Directory.Exists(e.FullPath))
        {
            // A whole folder renamed into place is complete by construction (the atomic deploy): no quiet period,
            // no stability check.
            Replaced();
        }
        else if (IsPluginFolder(e.OldFullPath) && Path.GetFileName(e.FullPath).StartsWith('.'))
        {
            Volatile.Write(ref _deployActivityAt, Environment.TickCount64);
            // The live folder retired under a dot name: its successor is renamed in next. Until then the version
            // loaded keeps serving, as it would anyway.
        }
        else if (Concerns(e.FullPath) || Concerns(e.OldFullPath))
        {
            FollowLink();
            Signal(WatcherChangeTypes.Renamed);
        }
    }

    /// <summary>A complete folder is in place: load it now; whatever was pending is covered by this load.</summary>
    private void Replaced()
    {
        FollowLink();
        _debouncer.Cancel();
        Interlocked.Exchange(ref _burstWrote, 0);
        _changed(new PluginFolderChange(Volatile.Read(ref _target), Replaced: true, Written: false));
    }

    /// <summary>Whether <paramref name="path"/> lies in the deploy contract's staging or retired folder of the target plugin.</summary>
    private bool IsDeployName(string path)
    {
        var relative = Path.GetRelativePath(_root, path);
        var separator = relative.IndexOfAny(['/', '\\']);
        var top = separator < 0 ? relative : relative[..separator];
        var name = Volatile.Read(ref _target);
        return top.StartsWith($".{name}.deploying-", StringComparison.OrdinalIgnoreCase) || top.StartsWith($".{name}.retired-", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Every change inside a symlinked plugin's target concerns the plugin.</summary>
    private void OnLinkTargetChanged(object sender, FileSystemEventArgs e) => Signal(e.ChangeType);

    /// <summary>
    /// (Re)starts the quiet period. A burst of renames, creations and deletions only (files moved in whole) needs
    /// no stability check; one with a write (a copy, an editor saving in place) does.
    /// </summary>
    private void Signal(WatcherChangeTypes change)
    {
        if (change == WatcherChangeTypes.Changed)
        {
            Volatile.Write(ref _burstWrote, 1);
        }

        _debouncer.Signal();
    }

    /// <summary>Whether <paramref name="path"/> is the target plugin's folder itself (top level of the root).</summary>
    private bool IsPluginFolder(string path) =>
        string.Equals(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(path)), _root, StringComparison.Ordinal)
        && string.Equals(Path.GetFileName(Path.TrimEndingDirectorySeparator(path)), Volatile.Read(ref _target), StringComparison.OrdinalIgnoreCase);

    /// <summary>Resolves the plugin folder; if it is a link, watches its final target (and nothing when it is not).</summary>
    private void FollowLink()
    {
        var resolved = ResolveLink(_root, Volatile.Read(ref _target));
        lock (_linkLock)
        {
            if (_disposed || string.Equals(resolved, _linkTarget, StringComparison.Ordinal))
            {
                return;
            }

            DisposeLinkWatcher();
            _linkTarget = resolved;
            if (resolved is null)
            {
                return;
            }

            try
            {
                var watcher = new FileSystemWatcher(resolved)
                {
                    IncludeSubdirectories = true,
                    NotifyFilter = _watcher.NotifyFilter,
                    InternalBufferSize = _watcher.InternalBufferSize,
                };
                watcher.Created += OnLinkTargetChanged;
                watcher.Changed += OnLinkTargetChanged;
                watcher.Deleted += OnLinkTargetChanged;
                watcher.Renamed += OnLinkTargetChanged;
                watcher.Error += OnError;
                watcher.EnableRaisingEvents = true;
                _linkWatcher = watcher;
            }
            catch (Exception exception) when (exception is ArgumentException or IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning("Cannot watch {Target}, where plugin folder {Plugin} points: {Reason}; swap with SIGHUP instead", resolved, PluginName, exception.Message);
            }
        }
    }

    /// <summary>The final target of plugin folder <paramref name="name"/> (matched case-insensitively, as loading does) if it is a link.</summary>
    private static string? ResolveLink(string root, string name)
    {
        try
        {
            var folder = Path.Combine(root, name);
            if (!Path.Exists(folder))
            {
                folder = Directory.EnumerateFileSystemEntries(root).FirstOrDefault(e => string.Equals(Path.GetFileName(e), name, StringComparison.OrdinalIgnoreCase)) ?? folder;
            }

            var info = new DirectoryInfo(folder);
            return info.LinkTarget is null ? null : info.ResolveLinkTarget(returnFinalTarget: true) is { Exists: true } target ? target.FullName : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A link to nowhere, one that loops, a root we may not list: nothing to watch; the swap reports the folder.
            return null;
        }
    }

    private void DisposeLinkWatcher()
    {
        if (_linkWatcher is { } watcher)
        {
            watcher.EnableRaisingEvents = false;
            watcher.Created -= OnLinkTargetChanged;
            watcher.Changed -= OnLinkTargetChanged;
            watcher.Deleted -= OnLinkTargetChanged;
            watcher.Renamed -= OnLinkTargetChanged;
            watcher.Error -= OnError;
            watcher.Dispose();
            _linkWatcher = null;
        }
    }

    private void OnError(object sender, ErrorEventArgs e)
    {
        // An overflowed event buffer loses events; assume ours was among them and let the stability check decide.
        _logger.LogWarning("Watching {PluginsPath} failed: {Error}; checking plugin {Plugin} for changes", _root, e.GetException().Message, PluginName);
        Signal(WatcherChangeTypes.Changed);
    }

    /// <summary>Whether <paramref name="path"/> is the target plugin's folder or lies inside it.</summary>
    private bool Concerns(string path)
    {
        var relative = Path.GetRelativePath(_root, path);
        var separator = relative.IndexOfAny(['/', '\\']);
        var top = separator < 0 ? relative : relative[..separator];
        return string.Equals(top, Volatile.Read(ref _target), StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose()
    {
        lock (_linkLock)
        {
            _disposed = true;
            DisposeLinkWatcher();
        }

        _watcher.EnableRaisingEvents = false;
        _watcher.Created -= OnChanged;
        _watcher.Changed -= OnChanged;
        _watcher.Deleted -= OnChanged;
        _watcher.Renamed -= OnRenamed;
        _watcher.Error -= OnError;
        _watcher.Dispose();
        _debouncer.Dispose();
    }
}
