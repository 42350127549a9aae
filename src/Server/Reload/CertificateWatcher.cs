using Microsoft.Extensions.Logging;
using PluggableNet.Server.Transport.Tls;

namespace PluggableNet.Server.Reload;

/// <summary>
/// Watches a TLS endpoint's certificate, key and CA files and reloads them once a burst of changes has gone quiet.
/// Replacements are seen however they are made: a file written in place, a new file renamed over the old one (certbot,
/// most deploy tools), a symbolic link flipped (certbot's <c>live/</c> links, Kubernetes' <c>..data</c> directory link).
/// </summary>
/// <remarks>
/// It watches the folder of each file rather than the file (a rename replaces the inode a file watch would follow), and
/// also the folder each link finally points to, re-resolved after every reload, so an edit inside a link's target counts
/// too. Only events about those files (by name, or their link targets' names) and about Kubernetes' <c>..</c> entries
/// count: a log file written beside the certificates must not make the host read them on every line it logs. An event
/// only starts the quiet period; the reload itself decides whether the files hold other certificates
/// (<see cref="TlsCertificates.Reload"/>).
/// </remarks>
internal sealed class CertificateWatcher : IDisposable
{
    /// <summary>
    /// How long the files must stay quiet before they are read: a renewal writes the certificate and its key one after the
    /// other, and reading between the two would see a key that does not match (refused, then read again).
    /// </summary>
    public static readonly TimeSpan Debounce = TimeSpan.FromSeconds(1);

    private readonly TlsCertificates _certificates;
    private readonly ILogger _logger;
    private readonly Debouncer _debouncer;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, FileSystemWatcher> _watchers = new(StringComparer.Ordinal);
    private HashSet<string> _names = [];
    private bool _disposed;

    public CertificateWatcher(TlsCertificates certificates, ILogger logger, TimeSpan? debounce = null)
    {
        _certificates = certificates;
        _logger = logger;
        _debouncer = new Debouncer(debounce ?? Debounce, Settled);
        Watch();
    }

    /// <summary>The folders watched now (for tests and the log).</summary>
    public IReadOnlyCollection<string> Folders
    {
        get
        {
            lock (_lock)
            {
                return [.. _watchers.Keys];
            }
        }
    }

    private void Settled()
    {
        _certificates.Reload("file");

        // A flipped link may point into a new folder now.
        Watch();
    }

    /// <summary>Watches the folders the files are in and those their links lead to; stops watching the ones no longer needed.</summary>
    private void Watch()
    {
        var folders = FoldersOf(_certificates.Settings.Files, out var names);
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            Volatile.Write(ref _names, names);
            foreach (var gone in _watchers.Keys.Except(folders).ToList())
            {
                Stop(_watchers[gone]);
                _watchers.Remove(gone);
            }

            foreach (var folder in folders.Where(f => !_watchers.ContainsKey(f)))
            {
                try
                {
                    var watcher = new FileSystemWatcher(folder)
                    {
                        IncludeSubdirectories = false,
                        NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
                    };
                    watcher.Created += OnChanged;
                    watcher.Changed += OnChanged;
                    watcher.Deleted += OnChanged;
                    watcher.Renamed += OnChanged;
                    watcher.Error += OnError;
                    watcher.EnableRaisingEvents = true;
                    _watchers[folder] = watcher;
                }
                catch (Exception exception) when (exception is ArgumentException or IOException or UnauthorizedAccessException)
                {
                    _logger.LogWarning("Cannot watch {Folder} for certificate changes: {Reason}; a SIGHUP reloads the certificates", folder, exception.Message);
                }
            }
        }
    }

    /// <summary>The folder of each file, and of the final target of each file that is a link; <paramref name="names"/>: their file names.</summary>
    internal static HashSet<string> FoldersOf(IEnumerable<string> files, out HashSet<string> names)
    {
        var folders = new HashSet<string>(StringComparer.Ordinal);
        names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var full = Path.GetFullPath(file);
            names.Add(Path.GetFileName(full));
            if (Path.GetDirectoryName(full) is { } folder && Directory.Exists(folder))
            {
                folders.Add(folder);
            }

            try
            {
                // Resolves every link on the way, the folder links of Kubernetes' ..data included.
                var real = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
                if (real is not null && Path.GetDirectoryName(RealPath(real)) is { } target && Directory.Exists(target))
                {
                    folders.Add(target);
                    names.Add(Path.GetFileName(real));
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // A link to nowhere: its own folder is watched, and the reload reports the file.
            }
        }

        return folders;
    }

    /// <summary><paramref name="path"/> with the links among its folders resolved (a file under <c>..data/</c> → under <c>..2024_01_01…/</c>).</summary>
    private static string RealPath(string path)
    {
        var folder = Path.GetDirectoryName(path);
        if (folder is null)
        {
            return path;
        }

        var info = new DirectoryInfo(folder);
        var resolved = info.LinkTarget is null ? RealPath(folder) : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? folder;
        return Path.Combine(resolved, Path.GetFileName(path));
    }

    private void OnChanged(object sender, FileSystemEventArgs e)
    {
        if (Concerns(e.Name) || (e is RenamedEventArgs renamed && Concerns(renamed.OldName)))
        {
            _debouncer.Signal();
        }
    }

    /// <summary>One of the files or link targets, or a Kubernetes volume's <c>..data</c> and timestamped folders.</summary>
    private bool Concerns(string? name) =>
        name is not null && (name.StartsWith("..", StringComparison.Ordinal) || Volatile.Read(ref _names).Contains(Path.GetFileName(name)));

    private void OnError(object sender, ErrorEventArgs e)
    {
        // Events were lost: assume ours among them; the reload finds out.
        _logger.LogWarning("Watching certificate files failed: {Error}; reading them again", e.GetException().Message);
        _debouncer.Signal();
    }

    private void Stop(FileSystemWatcher watcher)
    {
        watcher.EnableRaisingEvents = false;
        watcher.Created -= OnChanged;
        watcher.Changed -= OnChanged;
        watcher.Deleted -= OnChanged;
        watcher.Renamed -= OnChanged;
        watcher.Error -= OnError;
        watcher.Dispose();
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (var watcher in _watchers.Values)
            {
                Stop(watcher);
            }

            _watchers.Clear();
        }

        _debouncer.Dispose();
    }
}
