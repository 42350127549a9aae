namespace PluggableNet.Bench.Driver;

/// <summary>Finds the repository root and the default locations of the servers' build outputs.</summary>
internal static class RepoPaths
{
    /// <summary>The nearest folder above the working directory or this assembly that holds bench/ and Directory.Build.props.</summary>
    public static string Root { get; } = FindRoot();

    public static string DefaultHostDll => FirstExisting(
        Path.Combine(Root, "src", "Host", "bin", "Release", "net10.0", "PluggableNet.Host.dll"),
        Path.Combine(Root, "src", "Host", "bin", "Debug", "net10.0", "PluggableNet.Host.dll"));

    public static string DefaultKestrelDll => FirstExisting(
        Path.Combine(Root, "bench", "Baselines", "Kestrel", "bin", "Release", "net10.0", "PluggableNet.Baselines.Kestrel.dll"),
        Path.Combine(Root, "bench", "Baselines", "Kestrel", "bin", "Debug", "net10.0", "PluggableNet.Baselines.Kestrel.dll"));

    public static string DefaultOutput => Path.Combine(Root, "bench", "results");

    private static string FirstExisting(string preferred, string fallback) => File.Exists(preferred) || !File.Exists(fallback) ? preferred : fallback;

    private static string FindRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Directory.Build.props")) && Directory.Exists(Path.Combine(dir.FullName, "bench")))
                {
                    return dir.FullName;
                }
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
