namespace PluggableNet.Tests.Isolation;

/// <summary>The plugin worker processes alive on this machine, read from /proc: to prove none is left behind.</summary>
internal static class WorkerProcesses
{
    /// <summary>Worker processes whose parent is <paramref name="parent"/>.</summary>
    public static IReadOnlyList<int> ChildrenOf(int parent) => [.. All().Where(w => w.Parent == parent).Select(w => w.Pid)];

    /// <summary>Whether <paramref name="pid"/> is a live worker (a reused pid of another program does not count).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("PluggableNet.Worker", StringComparison.Ordinal) && !IsZombie(pid);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static IEnumerable<(int Pid, int Parent)> All()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            string cmdline;
            string stat;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(directory, "cmdline"));
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (!cmdline.Contains("PluggableNet.Worker", StringComparison.Ordinal))
            {
                continue;
            }

            // stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields[0] != "Z" && int.TryParse(fields[1], out var parent))
            {
                yield return (pid, parent);
            }
        }
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
