namespace PluggableNet.Tests.Infrastructure;

/// <summary>Where the repository is, seen from the test assembly (shared with the unit tests; the host's paths are in TestPaths.Host.cs).</summary>
internal static partial class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Debug or Release: whatever the tests were built as, so the host build matches.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

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
