using PluggableNet.Tests.Infrastructure;
using Serilog.Events;

namespace PluggableNet.Tests.HotSwap;

public sealed class BrokenAssemblyKeepsOldVersionTests
{
    public static TheoryData<string, string> Cases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var transport in TransportData.All)
            {
                data.Add(transport, "garbage");
                data.Add(transport, "no-plugin");
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task TheOldVersionKeepsAnsweringAndTheErrorNamesTheFile(string transport, string broken)
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        await using var server = TestServer.Start(transport, plugins.Settings(("Logic:HotReload", "true")));
        await using var reloader = ReloaderHarness.Start(server);
        using var client = server.Connect();
        Assert.Equal("A:x", await client.AskAsync("x"));

        plugins.WriteInPlace(broken == "garbage" ? HotSwapPlugins.Garbage() : HotSwapPlugins.WithoutPlugin());
        await server.Log.WaitForAsync("(file) failed", LogEventLevel.Error);

        var error = server.Log.Messages(LogEventLevel.Error).First(m => m.Contains("(file) failed", StringComparison.Ordinal));
        Assert.Contains(plugins.DllPath, error, StringComparison.Ordinal);
        Assert.Contains(broken == "garbage" ? "is not a loadable .NET assembly" : "does not reference PluggableNet.Abstractions", error, StringComparison.Ordinal);
        Assert.Contains("HotSwap 1.0.0 (generation 1) keeps serving", error, StringComparison.Ordinal);
        Assert.Equal("A:x", await client.AskAsync("x"));
        var status = server.Server.Status();
        Assert.Equal((0, "1.0.0"), (status.Swaps, status.PluginVersion));

        // One per distinct broken state seen: a slow writer may show an empty file first.
        Assert.InRange(status.FailedSwaps, 1, 2);
        Assert.Contains(plugins.DllPath, status.LastSwapError, StringComparison.Ordinal);

        // The watcher survives the failure: the next good build is swapped in on the same connection.
        plugins.WriteInPlace(HotSwapPlugins.V2);
        await HotSwapWait.AnswerBecomesAsync(client, "x", "A:x", "B:x");
        Assert.Null(server.Server.Status().LastSwapError);
    }

    [Fact]
    public async Task APluginBuiltAgainstAnotherContractMajorIsRejectedClearly()
    {
        using var plugins = new HotSwapPluginFolder(HotSwapPlugins.V1);
        await using var server = TestServer.Start("Sockets", plugins.Settings());
        using var client = server.Connect();

        plugins.WriteInPlace(HotSwapPlugins.AgainstContractV2());
        var result = await server.Server.ReloadAsync("test");

        Assert.False(result.Succeeded);
        Assert.Contains("was built against PluggableNet.Abstractions 2.0.0.0", result.Error, StringComparison.Ordinal);
        Assert.Contains("this host provides contract 1.0.0.0", result.Error, StringComparison.Ordinal);
        Assert.Equal("A:x", await client.AskAsync("x"));
        Assert.Equal(1, server.Server.Status().Generation);
    }
}
