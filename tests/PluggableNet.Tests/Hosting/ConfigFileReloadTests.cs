using Microsoft.Extensions.Configuration;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hosting;

public sealed class ConfigFileReloadTests
{
    [Fact]
    public async Task AHalfSavedConfigFileKeepsTheLastValidSettings()
    {
        var directory = TestPaths.NewTempDirectory();
        var file = Path.Combine(directory, "live.json");
        await File.WriteAllTextAsync(file, """{ "Logic": { "Plugin": "Upper" } }""");
        var rejected = new List<string>();
        void OnRejected(string path, Exception exception) => rejected.Add(path);
        LastGoodJsonConfigurationSource.Rejected += OnRejected;
        try
        {
            var configuration = HostConfiguration.Build(file, []);
            Assert.Equal("Upper", configuration["Logic:Plugin"]);

            await File.WriteAllTextAsync(file, """{ "Logic": { "Plugin": "Rev""");
            await Wait.UntilAsync(() => rejected.Contains("live.json"), because: "the broken reload to be reported");
            Assert.Equal("Upper", configuration["Logic:Plugin"]);

            await File.WriteAllTextAsync(file, """{ "Logic": { "Plugin": "Reverse" } }""");
            await Wait.UntilAsync(() => configuration["Logic:Plugin"] == "Reverse", because: "the fixed file to be read");
        }
        finally
        {
            LastGoodJsonConfigurationSource.Rejected -= OnRejected;
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task ABrokenConfigFileAtStartupIsAnError()
    {
        var directory = TestPaths.NewTempDirectory();
        var file = Path.Combine(directory, "broken.json");
        await File.WriteAllTextAsync(file, "{ not json");
        try
        {
            Assert.ThrowsAny<Exception>(() => HostConfiguration.Build(file, []));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
