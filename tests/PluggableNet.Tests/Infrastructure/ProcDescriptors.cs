using System.Globalization;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>A process's descriptors and memory as /proc shows them (Linux only).</summary>
internal static class ProcDescriptors
{
    /// <summary>Open descriptors of <paramref name="pid"/>; -1 once it is gone.</summary>
    public static int Count(int pid)
    {
        try
        {
            return Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>How many of <paramref name="pid"/>'s descriptors are the TCP socket listening on <paramref name="port"/>.</summary>
    public static int ListenerCopies(int pid, int port)
    {
        var inodes = ListeningInodes(port);
        var copies = 0;
        foreach (var fd in Directory.GetFileSystemEntries($"/proc/{pid}/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal) && inodes.Contains(target[8..^1]))
                {
                    copies++;
                }
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }

        return copies;
    }

    /// <summary>VmRSS of <paramref name="pid"/> in kB; -1 once it is gone.</summary>
    public static long RssKb(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? -1 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static HashSet<string> ListeningInodes(int port)
    {
        var hexPort = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }

            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[1].EndsWith(hexPort, StringComparison.Ordinal) && fields[3] == "0A")
                {
                    inodes.Add(fields[9]);
                }
            }
        }

        return inodes;
    }
}
