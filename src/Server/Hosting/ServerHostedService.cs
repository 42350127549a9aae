using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Reload;
using PluggableNet.Server.Transport;

namespace PluggableNet.Server.Hosting;

/// <summary>
/// Runs the <see cref="PluggableServer"/> inside the generic host: starts it (so systemd hears READY only once
/// the listener accepts), stops it gracefully on SIGTERM/Ctrl+C. A TLS endpoint's certificate files are watched from
/// start to stop, whether or not the plugin can be swapped.
/// </summary>
/// <remarks>
/// The stop starts in <see cref="StoppingAsync"/>, which the generic host calls before any service's
/// <c>StopAsync</c>: SIGTERM stops accepting at once, even while the reload coordinator's <c>StopAsync</c> would
/// wait for a swap in progress, and the whole stop keeps to <c>Server:DrainTimeout</c>.
/// </remarks>
internal sealed class ServerHostedService(ServerRegistration registration, IServiceProvider services, ILoggerFactory loggerFactory, IMeterFactory? meterFactory = null, InheritedListener? inherited = null) : IHostedLifecycleService, IPluggableNetServer, IAsyncDisposable
{
    private CertificateWatcher? _certificates;

    public PluggableServer? Server { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var plugin = registration.Plugin?.Invoke(services);
        Server = PluggableServer.Start(registration.Settings, registration.Configuration, loggerFactory, meterFactory, inherited, plugin);
        if (Server.Certificates is { } certificates)
        {
            _certificates = new CertificateWatcher(certificates, loggerFactory.CreateLogger("PluggableNet.Tls"));
        }

        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        _certificates?.Dispose();
        return Server?.StopAsync() ?? Task.CompletedTask;
    }

    /// <summary>The stop begun in <see cref="StoppingAsync"/> (one stop, whoever asks).</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Server?.StopAsync() ?? Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        _certificates?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
