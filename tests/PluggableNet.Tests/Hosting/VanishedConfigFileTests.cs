using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hosting;

/// <summary>The configuration source itself: a deleted file keeps its settings, and is read again once it is back.</summary>
public sealed class VanishedConfigFileTests
{
    [Fact]
    public async Task ADeletedFileKeepsItsValuesUntilItReturns()
    {
        var directory = TestPaths.NewTempDirectory();
        var file = Path.Combine(directory, "gone.json");
        await File.WriteAllTextAsync(file, """{ "Logic": { "Plugin": "Upper" } }""");
        var vanished = 0;
        var returned = 0;
        void OnVanished(string path) => Interlocked.Increment(ref vanished);
        void OnReturned(string path) => Interlocked.Increment(ref returned);
        LastGoodJsonConfigurationSource.Vanished += OnVanished;
        LastGoodJsonConfigurationSource.Returned += OnReturned;
        try
        {
            var configuration = HostConfiguration.Build(file, []);

            File.Delete(file);
            await Wait.UntilAsync(() => Volatile.Read(ref vanished) > 0, because: "the deletion to be reported");
            Assert.Equal("Upper", configuration["Logic:Plugin"]);
            configuration.Reload();
            Assert.Equal("Upper", configuration["Logic:Plugin"]);

            await File.WriteAllTextAsync(file, """{ "Logic": { "Plugin": "Reverse" } }""");
            await Wait.UntilAsync(() => configuration["Logic:Plugin"] == "Reverse", because: "the returned file to be read");
            Assert.True(Volatile.Read(ref returned) > 0);
        }
        finally
        {
            LastGoodJsonConfigurationSource.Vanished -= OnVanished;
            LastGoodJsonConfigurationSource.Returned -= OnReturned;
            Directory.Delete(directory, recursive: true);
        }
    }
}
