using System.Net;
using Microsoft.Extensions.Configuration;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// A real <see cref="PluggableServer"/> in the test process, on 127.0.0.1 and a free port, with its log captured.
/// Settings are given as configuration keys, exactly as an operator would write them.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly SerilogLoggerFactory _loggerFactory;

    private TestServer(PluggableServer server, LogCapture log, SerilogLoggerFactory loggerFactory, IConfigurationRoot configuration)
    {
        Server = server;
        Log = log;
        _loggerFactory = loggerFactory;
        Configuration = configuration;
    }

    public PluggableServer Server { get; }

    public LogCapture Log { get; }

    public IConfigurationRoot Configuration { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Server.LocalEndPoint.Port);

    public static TestServer Start(string transport, params (string Key, string Value)[] settings) =>
        Start(transport, settings.ToDictionary(s => s.Key, s => (string?)s.Value));

    public static TestServer Start(string transport, IDictionary<string, string?> settings, IConfigurationRoot? configuration = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Server:Address"] = "127.0.0.1",
            ["Server:Port"] = "0",
            ["Server:Transport"] = transport,
            ["Server:ReactorThreads"] = "2",
            ["Server:DrainTimeout"] = "5",
            ["Logic:PluginsPath"] = TestPaths.BundledPlugins,
            ["Logic:HotReload"] = "false",
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        configuration ??= new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var log = new LogCapture();
        var logger = new LoggerConfiguration().MinimumLevel.Is(LogEventLevel.Debug).WriteTo.Sink(log).CreateLogger();
        var loggerFactory = new SerilogLoggerFactory(logger, dispose: true);
        var hostSettings = ServerSettings.Read(configuration);
        var server = PluggableServer.Start(hostSettings, configuration, loggerFactory);
        return new TestServer(server, log, loggerFactory, configuration);
    }

    public FrameClient Connect(int headerDigits = 5, bool binary = false) => FrameClient.Connect(EndPoint, headerDigits, binary);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _loggerFactory.Dispose();
    }
}
