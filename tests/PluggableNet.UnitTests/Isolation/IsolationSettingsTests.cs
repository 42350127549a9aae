using Microsoft.Extensions.Configuration;
using PluggableNet.Server;
using PluggableNet.Server.Plugins.Isolation;

namespace PluggableNet.UnitTests.Isolation;

/// <summary>A plugin's isolation keys: read under its section, and a bad value fails naming the key in full.</summary>
public sealed class IsolationSettingsTests
{
    [Fact]
    public void ProcessModeAndItsLimitsAreReadUnderThePluginsSection()
    {
        var settings = IsolationSettings.Read(Configuration(("Plugins:Shout:Isolation", "process"), ("Plugins:Shout:MaxMemoryBytes", "67108864"), ("Plugins:Shout:MaxRestarts", "5"), ("Plugins:Shout:RestartWindow", "10")), "Shout");

        Assert.Equal(new IsolationSettings { Isolation = PluginIsolation.Process, MaxMemoryBytes = 64 << 20, MaxRestarts = 5, RestartWindow = TimeSpan.FromSeconds(10) }, settings);
    }

    [Theory]
    [InlineData("Plugins:Shout:Isolation", "Container", "Plugins:Shout:Isolation: 'Container' is not one of InProcess, Process.")]
    [InlineData("Plugins:Shout:MaxRestarts", "-1", "Plugins:Shout:MaxRestarts: '-1' is not a whole number from 0 to 1000.")]
    [InlineData("Plugins:Shout:MaxMemoryBytes", "1000", "Plugins:Shout:MaxMemoryBytes applies only with Plugins:Shout:Isolation Process")]
    [InlineData("Plugins:Shout:MemoryLimit", "Container", "Plugins:Shout:MemoryLimit: 'Container' is not one of Auto, Cgroup, AddressSpace.")]
    [InlineData("Plugins:Shout:MemoryLimit", "Cgroup", "Plugins:Shout:MemoryLimit Cgroup applies only with Plugins:Shout:MaxMemoryBytes above 0.")]
    public void ABadValueNamesItsFullKey(string key, string value, string expected)
    {
        var exception = Assert.Throws<ConfigurationException>(() => IsolationSettings.Read(Configuration((key, value)), "Shout"));

        Assert.Contains(exception.Errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void TheMemoryLimitsMechanismIsRead()
    {
        var settings = IsolationSettings.Read(Configuration(("Plugins:Shout:Isolation", "Process"), ("Plugins:Shout:MaxMemoryBytes", "67108864"), ("Plugins:Shout:MemoryLimit", "addressspace")), "Shout");

        Assert.Equal(MemoryLimitMode.AddressSpace, settings.MemoryLimit);
    }

    [Fact]
    public void TooLittleMemoryForAWorkerIsRefused()
    {
        var exception = Assert.Throws<ConfigurationException>(() => IsolationSettings.Read(Configuration(("Plugins:Shout:Isolation", "Process"), ("Plugins:Shout:MaxMemoryBytes", "1000")), "Shout"));

        Assert.Contains(exception.Errors, e => e.StartsWith("Plugins:Shout:MaxMemoryBytes: 1000 is below 16777216", StringComparison.Ordinal));
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
