namespace PluggableNet.Bench.Driver;

/// <summary>
/// The benchmark's own plugins (bench/Plugins, the CPU-heavy Burn) laid out as a plugins folder the host can be
/// pointed at with <c>Logic:PluginsPath</c>: a temporary copy of each built plugin under its name.
/// </summary>
internal static class BenchPlugins
{
    public static string Prepare()
    {
        var root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"pluggablenet-bench-plugins-{Environment.ProcessId}")).FullName;
        var built = FirstExisting(
            Path.Combine(RepoPaths.Root, "bench", "Plugins", "Burn", "bin", "Release", "net10.0"),
            Path.Combine(RepoPaths.Root, "bench", "Plugins", "Burn", "bin", "Debug", "net10.0"));
        if (built is not null)
        {
            var folder = Directory.CreateDirectory(Path.Combine(root, "Burn")).FullName;
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

    private static string? FirstExisting(params string[] folders) =>
        folders.FirstOrDefault(f => File.Exists(Path.Combine(f, "PluggableNet.Bench.Plugins.Burn.dll")));
}
