using PluggableNet;

namespace Echo.Tests;

public sealed class EchoPluginTests
{
    [Fact]
    public async Task EachConnectionKeepsItsNameAndAllShareTheCount()
    {
        await using var plugin = PluginUnderTest.Load();
        var ann = plugin.OpenSession();
        var bo = plugin.OpenSession(SessionProtocol.V2);

        Assert.Equal("you are ann", await plugin.CallAsync(ann, "NAME ann"));
        Assert.Equal("ann, 2 request(s)", await plugin.CallAsync(ann, "WHOAMI"));
        Assert.Equal($"guest{bo.Id}, 1 request(s)", await plugin.CallAsync(bo, "WHOAMI"));
        Assert.Equal("4 request(s) from 2 connection(s)", await plugin.CallAsync(bo, "COUNT"));

        plugin.CloseSession(bo);
        Assert.Equal("5 request(s) from 1 connection(s)", await plugin.CallAsync(ann, "COUNT"));
        await plugin.AssertUnloadsAsync();
    }

    [Fact]
    public async Task StateSurvivesAHotSwap()
    {
        // This build loaded twice, as the host swaps one version for the next. To test the swap from the version
        // running now, load its build with PluginUnderTest.LoadFrom(path) as `current`.
        await using var current = PluginUnderTest.Load();
        await using var next = PluginUnderTest.Load();
        var ann = current.OpenSession();
        await current.CallAsync(ann, "NAME ann");

        var moved = SessionStateAssert.RoundTrips(current, next, ann);

        Assert.Equal("ann, 2 request(s)", await next.CallAsync(moved, "WHOAMI"));
        Assert.Equal("3 request(s) from 1 connection(s)", await next.CallAsync(moved, "COUNT"));
    }
}
