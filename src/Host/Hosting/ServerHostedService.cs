using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PluggableNet.Host.Hosting;

/// <summary>
/// Runs the <see cref="PluggableServer"/> inside the generic host: starts it (so systemd hears READY only once
/// the listener accepts), stops it gracefully on SIGTERM/Ctrl+C, and owns the control socket.
/// </summary>
internal sealed class ServerHostedService(HostSettings settings, IConfiguration configuration, ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private ControlChannel? _control;

    public PluggableServer? Server { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Server = PluggableServer.Start(settings, configuration, loggerFactory);
        if (settings.ControlSocket is { } path)
        {
            var server = Server;
            _control = new ControlChannel(path, server.Status, loggerFactory.CreateLogger("PluggableNet.Control"));
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Server is not null)
        {
            await Server.StopAsync().ConfigureAwait(false);
        }
    }

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
