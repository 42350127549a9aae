namespace PluggableNet.Server.Plugins;

/// <summary>
/// The names, sizes and modification times of every file in a plugin folder at one moment. Two equal snapshots
/// taken a little apart mean nobody is writing there any more, so a copy in progress is not mistaken for a release.
/// </summary>
internal sealed class FolderSnapshot : IEquatable<FolderSnapshot>
{
    private readonly string _signature;

    private FolderSnapshot(bool exists, int files, string signature)
    {
        Exists = exists;
        Files = files;
        _signature = signature;
    }

    public bool Exists { get; }

    public int Files { get; }

    /// <summary>Reads the folder now; a folder that vanishes or changes mid-read gives a snapshot that will not match the next one.</summary>
    public static FolderSnapshot Take(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return new FolderSnapshot(false, 0, string.Empty);
        }

        try
        {
            var directory = new DirectoryInfo(folder);
            var entries = directory
                .EnumerateFiles("*", SearchOption.AllDirectories)
                .Select(f => $"{Path.GetRelativePath(folder, f.FullName)}|{f.Length}|{f.LastWriteTimeUtc.Ticks}")
                .Order(StringComparer.Ordinal)
                .ToList();

            // A symlinked folder pointed elsewhere is a new release even if its files look the same.
            var target = directory.LinkTarget is null ? string.Empty : directory.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
            return new FolderSnapshot(true, entries.Count, target + "\n" + string.Join('\n', entries));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A file removed while we listed it: the folder is still changing.
            return new FolderSnapshot(true, -1, Guid.NewGuid().ToString("N"));
        }
    }

    /// <summary>
    /// Takes snapshots <paramref name="interval"/> apart until two in a row match, or gives up (null) after
    /// <paramref name="maxWait"/>: the writer is still busy and its next file event will bring us back.
    /// </summary>
    public static async Task<FolderSnapshot?> WaitUntilStableAsync(string folder, TimeSpan interval, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)maxWait.TotalMilliseconds;
        var previous = Take(folder);
        while (true)
        {
            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            var current = Take(folder);
            if (current.Equals(previous))
            {
                return current;
            }

            if (Environment.TickCount64 >= deadline)
            {
                return null;
            }

            previous = current;
        }
    }

    public bool Equals(FolderSnapshot? other) =>
        other is not null && Exists == other.Exists && Files == other.Files && Files >= 0 && string.Equals(_signature, other._signature, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as FolderSnapshot);

    public override int GetHashCode() => _signature.GetHashCode(StringComparison.Ordinal);
}
