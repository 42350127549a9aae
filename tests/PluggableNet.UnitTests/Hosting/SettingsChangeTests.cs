using System.Reflection;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;

namespace PluggableNet.UnitTests.Hosting;

public sealed class SettingsChangeTests
{
    [Fact]
    public void EverySettingIsEitherLiveOrRestartOnly()
    {
        // The Telemetry:* and Health:* keys are grouped in one record, the Tls:* keys in another; each of their settings is a key.
        var settings = typeof(ServerSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.PropertyType != typeof(ObservabilitySettings))
            .Concat(typeof(ObservabilitySettings).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            .Concat(typeof(PluggableNet.Server.Transport.Tls.TlsSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            .Select(p => p.Name)
            .ToList();

        Assert.Equal(settings.Count, SettingsChange.LiveKeys.Count + SettingsChange.RestartKeys.Count());
        Assert.Empty(SettingsChange.LiveKeys.Intersect(SettingsChange.RestartKeys));
    }

    [Fact]
    public void OnlyChangedRestartKeysAreReported()
    {
        var previous = new ServerSettings();

        var changes = SettingsChange.NeedingRestart(previous, previous with { Port = 19090, Plugin = "Upper", HotReload = false });

        Assert.Equal([("Server:Port", "19090")], changes);
    }
}
