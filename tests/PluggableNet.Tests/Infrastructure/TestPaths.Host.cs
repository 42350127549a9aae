namespace PluggableNet.Tests.Infrastructure;

/// <summary>Where the host the integration tests run and its bundled plugins are.</summary>
internal static partial class TestPaths
{
    /// <summary>
    /// The host every test runs: a test-owned copy of the build (<see cref="TestHostInstall"/>), never the build output
    /// itself, whose configuration and plugins folder belong to the user.
    /// </summary>
    public static string HostOutput => TestHostInstall.Folder;

    public static string HostDll => Path.Combine(HostOutput, "PluggableNet.Host.dll");

    public static string BundledPlugins => Path.Combine(HostOutput, "plugins");

    public static string AbstractionsDll => typeof(ILogicPlugin).Assembly.Location;
}
