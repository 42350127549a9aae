using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;

namespace PluggableNet.Host.Control;

/// <summary>
/// Opens the control socket (<c>Control:Socket</c>) once the server runs, for <c>status</c>, and closes it after the
/// server has stopped. Registered after the server's hosted service, so it starts after it and stops before it.
/// </summary>
internal sealed class ControlChannelService(ServerHostedService server, ServerSettings settings, ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private ControlChannel? _channel;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.ControlSocket is { } path && server.Server is { } running)
        {
            _channel = new ControlChannel(path, running.Status, loggerFactory.CreateLogger("PluggableNet.Control"));
        }

        return Task.CompletedTask;
    }

    /// <summary>The socket stays open through the drain, so <c>status</c> can watch it; it closes on dispose.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync().ConfigureAwait(false);
        }
    }
}
