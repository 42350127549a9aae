using Microsoft.Extensions.Configuration;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;

namespace PluggableNet.UnitTests.Hosting;

/// <summary><c>Logic:Plugin</c> is validated as a folder name, with the other keys, before anything is loaded.</summary>
public sealed class PluginNameSettingTests
{
    private static ServerSettings Read(string plugin) =>
        ServerSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logic:Plugin"] = plugin,
            ["Logic:PluginsPath"] = "/srv/plugins",
        }).Build());

    [Theory]
    [InlineData("/opt/elsewhere/Evil")]
    [InlineData("../../opt/elsewhere/Evil")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("Upper/../../Evil")]
    [InlineData("sub\\Evil")]
    public void APathIsNotAPluginName(string plugin)
    {
        var error = Assert.Throws<ConfigurationException>(() => Read(plugin));

        var message = Assert.Single(error.Errors);
        Assert.StartsWith($"Logic:Plugin: '{plugin}' is not a plugin name: it must be the name of a folder in Logic:PluginsPath (/srv/plugins)", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Upper")]
    [InlineData("my.plugin-2")]
    public void AFolderNameIsAccepted(string plugin) => Assert.Equal(plugin, Read(plugin).Plugin);
}
