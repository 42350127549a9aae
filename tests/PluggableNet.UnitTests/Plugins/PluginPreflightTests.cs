using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;

namespace PluggableNet.UnitTests.Plugins;

public sealed class PluginPreflightTests
{
    [Theory]
    [InlineData(".NETCoreApp,Version=v10.0", "10.0")]
    [InlineData(".NETCoreApp,Version=v8.0", "8.0")]
    [InlineData(".NETStandard,Version=v2.0", null)]
    [InlineData("garbage", null)]
    public void TheTargetFrameworkNameGivesTheNetVersion(string framework, string? expected) =>
        Assert.Equal(expected is null ? null : Version.Parse(expected), PluginPreflight.ParseNetCoreVersion(framework));
}
