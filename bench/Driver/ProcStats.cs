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
