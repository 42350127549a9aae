namespace PluggableNet.Server.Interop;

/// <summary>
/// The process's open file descriptors as Linux lists them in <c>/proc/self/fd</c>: the one place that directory is
/// walked (the open-files budget, the daemon's detaching, the launcher's close-on-exec sweep) and its links read.
/// </summary>
internal static class OpenDescriptors
{
    private const string Folder = "/proc/self/fd";

    /// <summary>The descriptors open now, ascending; the one the walk itself opens may be among them.</summary>
    public static int[] List()
    {
        var descriptors = new List<int>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(Folder))
        {
            if (int.TryParse(Path.GetFileName(entry.AsSpan()), out var fd) && fd >= 0)
            {
                descriptors.Add(fd);
            }
        }

        descriptors.Sort();
        return [.. descriptors];
    }

    /// <summary>
    /// Whether <see cref="Count"/> is one system call (Linux 6.2 and later report the count as the folder's size)
    /// rather than a walk of the folder.
    /// </summary>
    public static bool CountIsCheap { get; } = OperatingSystem.IsLinux() && Libc.TryLStatSize(Folder, out var size) && size > 0;

    /// <summary>How many descriptors are open now: the folder's size where the kernel reports it, else a walk.</summary>
    public static int Count() =>
        CountIsCheap && Libc.TryLStatSize(Folder, out var size) && size > 0 ? (int)Math.Min(size, int.MaxValue) : List().Length;

    /// <summary>
    /// What <paramref name="fd"/> refers to: a path (with <c> (deleted)</c> once unlinked), <c>pipe:[…]</c>,
    /// <c>socket:[…]</c>…; null when it is not open (or vanished while being read).
    /// </summary>
    public static string? Target(int fd)
    {
        try
        {
            return new FileInfo($"{Folder}/{fd}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
