using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluggableNet.Host.Transport;

namespace PluggableNet.Host.Hosting;

/// <summary>
/// Runs the <see cref="PluggableServer"/> inside the generic host: starts it (so systemd hears READY only once
/// the listener accepts), stops it gracefully on SIGTERM/Ctrl+C, and owns the control socket.
/// </summary>
/// <remarks>
/// The stop starts in <see cref="StoppingAsync"/>, which the generic host calls before any service's
/// <c>StopAsync</c>: SIGTERM stops accepting at once, even while the reload coordinator's <c>StopAsync</c> would
/// wait for a swap in progress, and the whole stop keeps to <c>Server:DrainTimeout</c>.
/// </remarks>
internal sealed class ServerHostedService(HostSettings settings, IConfiguration configuration, ILoggerFactory loggerFactory, IMeterFactory? meterFactory = null, InheritedListener? inherited = null) : IHostedLifecycleService, IAsyncDisposable
{
    private ControlChannel? _control;

    public PluggableServer? Server { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Server = PluggableServer.Start(settings, configuration, loggerFactory, meterFactory, inherited);
        if (settings.ControlSocket is { } path)
        {
            var server = Server;
            _control = new ControlChannel(path, server.Status, loggerFactory.CreateLogger("PluggableNet.Control"));
        }

        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Server?.StopAsync() ?? Task.CompletedTask;

    /// <summary>The stop begun in <see cref="StoppingAsync"/> (one stop, whoever asks).</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Server?.StopAsync() ?? Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_control is not null)
        {
            await _control.DisposeAsync().ConfigureAwait(false);
        }

        if (Server is not null)
        {
            await Server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
