namespace PluggableNet.Tests.Infrastructure;

/// <summary>Where the repository, the host the tests run and its bundled plugins are, seen from the test assembly.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Debug or Release: whatever the tests were built as, so the host build matches.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>
    /// The host every test runs: a test-owned copy of the build (<see cref="TestHostInstall"/>), never the build output
    /// itself, whose configuration and plugins folder belong to the user.
    /// </summary>
    public static string HostOutput => TestHostInstall.Folder;

    public static string HostDll => Path.Combine(HostOutput, "PluggableNet.Host.dll");

    public static string BundledPlugins => Path.Combine(HostOutput, "plugins");

    public static string AbstractionsDll => typeof(ILogicPlugin).Assembly.Location;

    /// <summary>A fresh empty directory under the system temp folder, removed by the caller.</summary>
    public static string NewTempDirectory(string prefix = "pnet")
    {
        var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    private static string FindRepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "PluggableNet.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("PluggableNet.sln not found above " + AppContext.BaseDirectory);
    }
}
