using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PluggableNet.Server.Hosting;
using PluggableNet.Tests.Infrastructure;
using Serilog.Events;

namespace PluggableNet.Tests.Endpoints;

/// <summary>
/// A live edit with a bad key in an endpoint section is refused as a whole, logged with the key's full path, while
/// every endpoint keeps serving with its last valid settings.
/// </summary>
public sealed class EndpointLiveEditRefusedTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ABadKeyWrittenLiveIsRefusedNamingItsFullPathAndEveryEndpointKeepsServing(string transport)
    {
        var directory = TestPaths.NewTempDirectory("pnet-epbad");
        try
        {
            var configFile = Path.Combine(directory, "endpoints.json");
            EndpointAddedOrRemovedLiveTests.Write(configFile, "Public", "Internal");
            var log = new LogCapture();
            using var host = await EndpointAddedOrRemovedLiveTests.StartAsync(transport, configFile, log);
            try
            {
                var servers = host.Services.GetRequiredService<ServerHostedService>();
                using var publicClient = FrameClient.Connect(new IPEndPoint(IPAddress.Loopback, servers.Servers.Single(s => s.Name == "Public").LocalEndPoint.Port));
                using var internalClient = FrameClient.Connect(new IPEndPoint(IPAddress.Loopback, servers.Servers.Single(s => s.Name == "Internal").LocalEndPoint.Port));

                EndpointAddedOrRemovedLiveTests.WriteWithHeaderDigits(configFile, "12", "Public", "Internal");
                await log.WaitForAsync("Configuration change rejected as a whole: Endpoints:Public:Framing:HeaderDigits: '12' is not a whole number from 1 to 10.", LogEventLevel.Error);

                Assert.Equal("cba", await publicClient.AskAsync("abc"));
                Assert.Equal("fed", await internalClient.AskAsync("def"));
                Assert.Equal([1L, 1L], servers.Status().Endpoints!.Select(e => e.Connections));
            }
            finally
            {
                await host.StopAsync();
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
