using PluggableNet.Tests.HotSwap;
using PluggableNet.Tests.Infrastructure;
using Serilog.Events;

namespace PluggableNet.Tests.PluginErrors;

/// <summary>Rebuilds rarely change the version, so a failed swap names the build that failed: its file time and hash.</summary>
public sealed class SwapFailureNamesTheBuildTests
{
    [Fact]
    public async Task TheErrorCarriesTheFileTimeAndHashOfTheFailedBuild()
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        await using var server = TestServer.Start("Sockets", plugins.Settings());
        var garbage = "not an assembly"u8.ToArray();
        plugins.WriteInPlace(garbage);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(garbage))[..8];

        var result = await server.Server.ReloadAsync("test");

        Assert.False(result.Succeeded);
        Assert.Contains($"sha256 {hash}", result.Error, StringComparison.Ordinal);
        Assert.Contains($"{HotSwapPlugins.Name}.dll built {File.GetLastWriteTimeUtc(plugins.DllPath):yyyy-MM-dd HH:mm:ss}Z", result.Error, StringComparison.Ordinal);
        Assert.Contains(server.Log.Messages(LogEventLevel.Error), m => m.Contains("Swap to plugin", StringComparison.Ordinal) && m.Contains($"sha256 {hash}", StringComparison.Ordinal));
    }
}
