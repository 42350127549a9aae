using System.Globalization;

namespace PluggableNet.Bench.Driver;

/// <summary>Reads a process's CPU time and resident memory from /proc.</summary>
internal static class ProcStats
{
    private static readonly double _ticksPerSecond = ReadTicksPerSecond();

    /// <summary>utime + stime of <paramref name="pid"/> in seconds, or null when unreadable.</summary>
    public static double? CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");

            // The command name (field 2) may contain spaces and parentheses: split after its closing parenthesis.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

            // After the name, field 3 (state) is index 0, so utime (14) and stime (15) are indexes 11 and 12.
            var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
            var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
            return (utime + stime) / _ticksPerSecond;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>
    /// <see cref="CpuSeconds"/> of <paramref name="pid"/> plus its live child processes' (a host's plugin workers in
    /// Isolation Process do the plugin's share of the work), or null when the parent's is unreadable.
    /// </summary>
    public static double? CpuSecondsWithChildren(int pid)
    {
        if (CpuSeconds(pid) is not { } own)
        {
            return null;
        }

        var children = 0.0;
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        children += CpuSeconds(int.Parse(child, CultureInfo.InvariantCulture)) ?? 0;
                    }
                }
                catch (IOException)
                {
                    // The thread ended between the listing and the read.
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return own + children;
    }

    /// <summary>
    /// Nanosecond CPU time of <paramref name="pid"/>'s live threads (the first field of each task's schedstat), in
    /// seconds: for windows too short for the 10 ms ticks of <see cref="CpuSeconds"/>. Null when unreadable.
    /// </summary>
    public static double? PreciseCpuSeconds(int pid)
    {
        try
        {
            long total = 0;
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    var text = File.ReadAllText(Path.Combine(task, "schedstat"));
                    total += long.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // The thread ended between the listing and the read: its time left with it.
                }
            }

            return total / 1e9;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>VmRSS of <paramref name="pid"/> in bytes, or null when unreadable.</summary>
    public static long? ResidentBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kib = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return null;
    }

    private static double ReadTicksPerSecond()
    {
        try
        {
            var ticks = NativeMethods.SysConf(NativeMethods.ScClkTck);
            return ticks > 0 ? ticks : 100;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return 100;
        }
    }
}
