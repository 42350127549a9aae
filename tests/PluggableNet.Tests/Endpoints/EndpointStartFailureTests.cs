using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Endpoints;

public sealed class EndpointStartFailureTests
{
    [LinuxFact]
    public async Task ABadKeyInAnEndpointSectionStopsTheHostNamingItsFullPath()
    {
        var result = await HostProcess.RunAsync(
        [
            "run", "--Endpoints:Public:Server:Address=127.0.0.1", "--Endpoints:Public:Server:Port=0",
            "--Endpoints:Public:Framing:HeaderDigits=12", $"--Logic:PluginsPath={TestPaths.BundledPlugins}",
        ]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Endpoints:Public:Framing:HeaderDigits: '12' is not a whole number from 1 to 10.", result.Output + result.Error, StringComparison.Ordinal);
    }
}
