using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Hosting;
using PluggableNet.Tests.Infrastructure;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace PluggableNet.Tests.Endpoints;

/// <summary>
/// Adding or removing an endpoint in the configuration file of a running host is a restart-only change: logged as
/// such, while the endpoints already running keep serving (a removed one too, until the restart) and none is started.
/// </summary>
public sealed class EndpointAddedOrRemovedLiveTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AnEndpointAddedOrRemovedLiveIsLoggedAsWaitingForARestart(string transport)
    {
        var directory = TestPaths.NewTempDirectory("pnet-epedit");
        try
        {
            var configFile = Path.Combine(directory, "endpoints.json");
            Write(configFile, "Public", "Internal");
            var log = new LogCapture();
            using var host = await StartAsync(transport, configFile, log);
            try
            {
                var servers = host.Services.GetRequiredService<ServerHostedService>();
                Assert.Equal(["Internal", "Public"], servers.Servers.Select(s => s.Name));
                using var client = FrameClient.Connect(new IPEndPoint(IPAddress.Loopback, servers.Servers[0].LocalEndPoint.Port));
                Assert.Equal("cba", await client.AskAsync("abc"));

                // Internal removed, Admin added, in one edit.
                Write(configFile, "Public", "Admin");
                await log.WaitForAsync("Endpoints:Admin added; endpoints are added and removed at the next restart", LogEventLevel.Warning);
                await log.WaitForAsync("Endpoints:Internal removed; endpoints are added and removed at the next restart", LogEventLevel.Warning);

                // Logged once, by one reloader; nothing started or stopped: the removed endpoint still serves its client.
                Assert.Single(log.Messages(), m => m.Contains("Endpoints:Admin added", StringComparison.Ordinal));
                Assert.Equal(["Internal", "Public"], servers.Servers.Select(s => s.Name));
                Assert.Equal("fed", await client.AskAsync("def"));
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

    /// <summary>
    /// A host composed as the executable and embedders compose it (<c>AddPluggableNet</c>), on
    /// <paramref name="transport"/>, whose endpoints come from <paramref name="configFile"/> (watched), logging into
    /// <paramref name="log"/>; started.
    /// </summary>
    internal static async Task<IHost> StartAsync(string transport, string configFile, LogCapture log)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Server:Transport"] = transport,
                ["Server:Address"] = "127.0.0.1",
                ["Server:DrainTimeout"] = "5",
                ["Logic:PluginsPath"] = TestPaths.BundledPlugins,
                ["Logic:HotReload"] = "false",
            })
            .AddJsonFile(new PhysicalFileProvider(Path.GetDirectoryName(configFile)!), Path.GetFileName(configFile), optional: false, reloadOnChange: true)
            .Build();
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddProvider(new SerilogLoggerProvider(new LoggerConfiguration().MinimumLevel.Is(LogEventLevel.Information).WriteTo.Sink(log).CreateLogger(), dispose: true));
        builder.Services.AddPluggableNet(configuration);
        var host = builder.Build();
        try
        {
            await host.StartAsync();
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>The configuration file: each endpoint on a free port serving Reverse, and <paramref name="headerDigits"/> given to the first.</summary>
    internal static void Write(string path, params string[] endpoints) => WriteWithHeaderDigits(path, headerDigits: null, endpoints);

    internal static void WriteWithHeaderDigits(string path, string? headerDigits, params string[] endpoints)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Endpoints"] = endpoints.ToDictionary(e => e, e => (object)new Dictionary<string, object>
            {
                ["Server"] = new Dictionary<string, string> { ["Port"] = "0" },
                ["Logic"] = new Dictionary<string, string> { ["Plugin"] = "Reverse" },
                ["Framing"] = new Dictionary<string, string> { ["HeaderDigits"] = e == endpoints[0] && headerDigits is not null ? headerDigits : "5" },
            }),
        });

        // Written whole, then renamed into place, so a reload never reads half a file.
        File.WriteAllText(path + ".tmp", json);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
