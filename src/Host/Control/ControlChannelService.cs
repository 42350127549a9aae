using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;

namespace PluggableNet.Host.Control;

/// <summary>
/// Opens the control socket (<c>Control:Socket</c>) once the server runs, for <c>status</c>, and closes it after the
/// server has stopped. Registered after the server's hosted service, so it starts after it and stops before it.
/// </summary>
/// <remarks>
/// A foreground host given neither <c>Control:Socket</c> nor a pidfile gets <paramref name="foreground"/>'s socket,
/// named by the port it really listens on (several hosts on port 0 never collide), so that <c>status</c>,
/// <c>reload</c> and <c>stop</c> find it with no options. That one is a convenience: if it cannot be opened the host
/// serves on and says so, where a configured socket that cannot be opened stops the start.
/// </remarks>
internal sealed class ControlChannelService(ServerHostedService server, ServerSettings settings, ILoggerFactory loggerFactory, ForegroundControlSocket? foreground = null, ControlExtensions? extensions = null) : IHostedService, IAsyncDisposable
{
    private ControlChannel? _channel;

    private ServerStatus Status() => extensions?.Status is { } amend ? amend(server.Status()) : server.Status();

    private Task<ControlAnswer> Command(string command, CancellationToken cancellationToken) =>
        extensions?.Commands is { } commands
            ? commands(command, cancellationToken)
            : Task.FromResult(new ControlAnswer("{\"error\":\"unknown command; try status\"}"));

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (server.Server is not { } running)
        {
            return Task.CompletedTask;
        }

        var logger = loggerFactory.CreateLogger("PluggableNet.Control");
        if (settings.ControlSocket is { } path)
        {
            _channel = new ControlChannel(path, Status, logger, Command);
        }
        else if (foreground is not null)
        {
            var port = running.Status().Port;
            var defaultPath = foreground.PathForPort(port);
            try
            {
                _channel = new ControlChannel(defaultPath, Status, logger, Command);
                logger.LogInformation("Control socket {ControlSocket}: status, reload and stop find this host without options (--port {Port} when several run)", defaultPath, port);
            }
            catch (Exception exception) when (exception is System.Net.Sockets.SocketException or ConfigurationException or IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("No control socket at {ControlSocket}: {Reason}; status, reload and stop find this host only with --pidfile or --Control:Socket", defaultPath, exception.Message);
            }
        }

        if (_channel is not null)
        {
            extensions?.Opened?.Invoke(_channel);
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

/// <summary>Where a foreground host without <c>Control:Socket</c> or a pidfile opens its control socket, by port.</summary>
/// <param name="PathForPort">The socket's path for the port the host listens on.</param>
internal sealed record ForegroundControlSocket(Func<int, string> PathForPort);

/// <summary>
/// What the layers above add to the control socket (the host upgrade): the status amended (where this host came
/// from), other commands (<c>upgrade</c>), and the channel once open (so it can be released to a new host).
/// </summary>
internal sealed record ControlExtensions(
    Func<ServerStatus, ServerStatus>? Status,
    Func<string, CancellationToken, Task<ControlAnswer>>? Commands,
    Action<ControlChannel>? Opened);
