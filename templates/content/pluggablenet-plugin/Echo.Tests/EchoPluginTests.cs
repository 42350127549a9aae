namespace Echo.Tests;

public sealed class EchoPluginTests
{
    [Fact]
    public async Task AnswersUpperCasedAndUnloads()
    {
        await using var plugin = PluginUnderTest.Load();
        Assert.Equal("HÉLLO!", await plugin.CallAsync("héllo"));
        await plugin.AssertUnloadsAsync();
    }

    [Fact]
    public async Task TakesItsSuffixFromItsSettings()
    {
        await using var plugin = PluginUnderTest.Load(settings: new Dictionary<string, string?> { ["Suffix"] = "?" });
        Assert.Equal("OK?", await plugin.CallAsync("ok"));
    }
}
