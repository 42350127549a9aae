using System.Reflection;

namespace PluggableNet.Bench.Tests;

/// <summary>Where the build put the programs the tests start.</summary>
internal static class TestPaths
{
    /// <summary>PluggableNet.Baselines.Kestrel.dll of the same configuration as the tests (built through the project reference).</summary>
    public static string KestrelBaselineDll { get; } = typeof(TestPaths).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "KestrelBaselineDll").Value!;

    /// <summary>The lead's host, if it has been built (Release preferred).</summary>
    public static string? HostDll => File.Exists(Driver.RepoPaths.DefaultHostDll) ? Driver.RepoPaths.DefaultHostDll : null;
}
