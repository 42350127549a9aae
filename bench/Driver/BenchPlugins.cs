namespace PluggableNet.Bench.Driver;

/// <summary>
/// The benchmark's own plugins (bench/Plugins: the CPU-heavy Burn; Probe, the protocol-v2 benchmark's slow calls and
/// ledger of processed requests; Broadcast, the fan-out benchmark's room) laid out as a plugins folder the host can be
/// pointed at with <c>Logic:PluginsPath</c>: a temporary copy of each built plugin under its name.
/// </summary>
internal static class BenchPlugins
{
    public static string Prepare()
    {
        var root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"pluggablenet-bench-plugins-{Environment.ProcessId}")).FullName;
        foreach (var name in new[] { "Burn", "Probe", "Broadcast" })
        {
            var built = FirstExisting(
                name,
                Path.Combine(RepoPaths.Root, "bench", "Plugins", name, "bin", "Release", "net10.0"),
                Path.Combine(RepoPaths.Root, "bench", "Plugins", name, "bin", "Debug", "net10.0"));
            if (built is null)
            {
                continue;
            }

            var folder = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
            foreach (var file in Directory.GetFiles(built))
            {
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
            }
        }

        return root;
    }

    public static void Delete(string root)
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string? FirstExisting(string name, params string[] folders) =>
        folders.FirstOrDefault(f => File.Exists(Path.Combine(f, $"PluggableNet.Bench.Plugins.{name}.dll")));
}
