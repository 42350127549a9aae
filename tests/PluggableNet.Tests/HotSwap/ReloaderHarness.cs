using Microsoft.Extensions.Configuration;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;
using PluggableNet.Tests.Infrastructure;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace PluggableNet.Tests.HotSwap;

/// <summary>
/// A <see cref="PluginReloader"/> around a <see cref="TestServer"/>, logging into the server's capture, with short
/// debounce times: the same triggers the host's ReloadCoordinator wires, driven in-process.
/// </summary>
internal sealed class ReloaderHarness : IAsyncDisposable
{
    public static readonly PluginReloadTimings Fast = new()
    {
        FileDebounce = TimeSpan.FromMilliseconds(100),
        StabilityInterval = TimeSpan.FromMilliseconds(100),
        MaxStabilityWait = TimeSpan.FromSeconds(5),
        ConfigurationDebounce = TimeSpan.FromMilliseconds(100),
    };

    private readonly SerilogLoggerFactory _loggerFactory;

    private ReloaderHarness(PluginReloader reloader, SerilogLoggerFactory loggerFactory)
    {
        Reloader = reloader;
        _loggerFactory = loggerFactory;
    }

    public PluginReloader Reloader { get; }

    public static ReloaderHarness Start(TestServer server, IConfiguration? configuration = null, PluginReloadTimings? timings = null)
    {
        var logger = new LoggerConfiguration().MinimumLevel.Is(LogEventLevel.Debug).WriteTo.Sink(server.Log).CreateLogger();
        var loggerFactory = new SerilogLoggerFactory(logger, dispose: true);
        var reloader = new PluginReloader(server.Server, configuration ?? server.Configuration, loggerFactory, timings ?? Fast);
        reloader.Start();
        return new ReloaderHarness(reloader, loggerFactory);
    }

    public async ValueTask DisposeAsync()
    {
        await Reloader.DisposeAsync();
        _loggerFactory.Dispose();
    }
}
