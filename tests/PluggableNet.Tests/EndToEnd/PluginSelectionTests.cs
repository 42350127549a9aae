using Microsoft.Extensions.Configuration;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.EndToEnd;

public sealed class PluginSelectionTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task UpperIsSelectedByConfiguration(string transport)
    {
        await using var server = TestServer.Start(transport, ("Logic:Plugin", "Upper"));
        using var client = server.Connect();

        Assert.Equal("HELLO, WORLD", await client.AskAsync("hello, World"));
        Assert.Equal("ÉTÉ ΣΟΦΊΑ", await client.AskAsync("été σοφία"));
        Assert.Equal("Upper", server.Server.Status().Plugin);
    }

    [Fact]
    public async Task UpperLeavesInvalidUtf8BytesUnchanged()
    {
        await using var server = TestServer.Start("Sockets", ("Logic:Plugin", "Upper"));
        using var client = server.Connect();

        await client.SendAsync([(byte)'a', 0xFF, (byte)'b', 0xC3, (byte)'c', 0xE2, 0x82]);

        Assert.Equal(new byte[] { (byte)'A', 0xFF, (byte)'B', 0xC3, (byte)'C', 0xE2, 0x82 }, await client.ReadFrameAsync());
    }

    [Fact]
    public void AMissingPluginFailsStartupNamingThePluginsThatExist()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Server:Port"] = "0",
            ["Logic:Plugin"] = "Nope",
            ["Logic:PluginsPath"] = TestPaths.BundledPlugins,
        }).Build();

        var error = Assert.Throws<PluginLoadException>(() =>
            PluggableServer.Start(ServerSettings.Read(configuration), configuration, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));

        Assert.Contains("Logic:Plugin 'Nope' was not found", error.Message, StringComparison.Ordinal);
        Assert.Contains("Available plugins: Chat, Reverse, Upper", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFolderWithoutAnILogicPluginIsAClearStartupError()
    {
        var plugins = TestPaths.NewTempDirectory();
        try
        {
            var folder = Directory.CreateDirectory(Path.Combine(plugins, "Empty")).FullName;
            File.Copy(TestPaths.AbstractionsDll, Path.Combine(folder, "Empty.dll"));
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Logic:Plugin"] = "Empty",
                ["Logic:PluginsPath"] = plugins,
            }).Build();

            var error = Assert.Throws<PluginLoadException>(() =>
                PluggableServer.Start(ServerSettings.Read(configuration), configuration, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));

            Assert.Contains("Empty.dll", error.Message, StringComparison.Ordinal);
            Assert.Contains("ILogicPlugin", error.Message, StringComparison.Ordinal);
            // Found but unusable: the reason alone, not buried in a list of other plugins.
            Assert.DoesNotContain("Available plugins", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(plugins, recursive: true);
        }
    }
}
