using System.Runtime.InteropServices;

namespace PluggableNet.Bench.Driver;

/// <summary>Where the benchmark ran, for the report header.</summary>
internal sealed record MachineInfo(int Processors, string CpuModel, long TotalMemoryBytes, string DotnetVersion, string OperatingSystem)
{
    public static MachineInfo Current() => new(
        Environment.ProcessorCount,
        ReadField("/proc/cpuinfo", "model name") ?? "unknown",
        ParseKiB(ReadField("/proc/meminfo", "MemTotal")) * 1024,
        RuntimeInformation.FrameworkDescription,
        RuntimeInformation.OSDescription);

    private static string? ReadField(string path, string name)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var colon = line.IndexOf(':');
                if (colon > 0 && line[..colon].Trim() == name)
                {
                    return line[(colon + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }

    private static long ParseKiB(string? value) =>
        value is not null && long.TryParse(value.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out var kib) ? kib : 0;
}
