using Microsoft.Extensions.Logging;
using PluggableNet.Server;
using PluggableNet.Server.Connections.Handover;
using PluggableNet.Server.Sessions;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// Moves connections with the servers' detach/adopt (docs/upgrade-connections.md). Who owns a connection: the old
/// host until the new one answers <see cref="HandOverKind.ConnectionAdopted"/>; from the moment the descriptor is sent
/// both hold it, and the old host closes its copy once answered (adopted or not) or once the channel breaks, so a
/// connection is never served by both, and one the new host died holding closes with its last descriptor. Sends do
/// not wait for answers (<see cref="InFlightMoves"/>): the connections of a batch cross back to back.
/// </summary>
internal sealed class SnapshotConnectionHandOver(ILoggerFactory loggerFactory) : IConnectionHandOver
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("PluggableNet.Upgrade");

    public async Task<ConnectionMoves> SendAsync(HandOverChannel channel, IReadOnlyList<PluggableServer> servers)
    {
        var started = DateTime.UtcNow;
        var moves = new ConnectionMoves(0, 0, 0, false);
        foreach (var server in servers)
        {
            if (moves.ChannelBroke)
            {
                break;
            }

            // One clock for every endpoint: a host's busy connections get Server:UpgradeTimeout in all, not per endpoint.
            var left = started + server.Settings.UpgradeTimeout - DateTime.UtcNow;
            moves = await SendEndpointAsync(channel, server, left > TimeSpan.Zero ? left : TimeSpan.Zero, moves).ConfigureAwait(false);
        }

        try
        {
            if (!moves.ChannelBroke)
            {
                channel.Send(HandOverKind.Done, []);
            }
        }
        catch (IOException)
        {
            moves = moves with { ChannelBroke = true };
        }

        _logger.LogInformation("Upgrade: {Moves}", moves);
        return moves;
    }

    private async Task<ConnectionMoves> SendEndpointAsync(HandOverChannel channel, PluggableServer server, TimeSpan deadline, ConnectionMoves moves)
    {
        ConnectionDetach batch;
        try
        {
            batch = await server.BeginDetachAsync(deadline).ConfigureAwait(false);
        }
        catch (SessionMigrationException exception)
        {
            _logger.LogWarning("Upgrade: endpoint {Endpoint}'s connections stay to drain here: {Reason}", server.Name, exception.Message);
            return moves with { LeftBehind = moves.LeftBehind + server.Metrics.OpenConnections };
        }

        using var flight = new InFlightMoves(channel, server.Name, _logger);
        await using (batch.ConfigureAwait(false))
        {
            try
            {
                if (batch.SharedState is { } shared)
                {
                    channel.Send(HandOverKind.SessionState, EndpointPayload.Write(server.Name, shared.Write));
                }

                await foreach (var snapshot in batch.ReadAllAsync().ConfigureAwait(false))
                {
                    if (!await flight.SendAsync(snapshot).ConfigureAwait(false))
                    {
                        break;
                    }
                }
            }
            catch (IOException exception)
            {
                _logger.LogWarning("Upgrade: the hand-over channel broke before endpoint {Endpoint}'s connections moved ({Reason}); they stay to drain here", server.Name, exception.Message);
                moves = moves with { ChannelBroke = true };
            }

            // Before the batch ends: a connection is the old host's until answered.
            var (moved, refused, broke) = await flight.CompleteAsync().ConfigureAwait(false);
            moves = moves with { Moved = moves.Moved + moved, Refused = moves.Refused + refused, ChannelBroke = moves.ChannelBroke || broke };
        }

        return moves with { LeftBehind = moves.LeftBehind + batch.LeftBehind };
    }

    public void Receive(HandOverChannel channel, IReadOnlyList<PluggableServer> servers)
    {
        while (true)
        {
            var message = channel.Receive(TimeSpan.FromMinutes(10));
            switch (message.Kind)
            {
                case HandOverKind.Done:
                    return;
                case HandOverKind.SessionState:
                    ImportSharedState(servers, message);
                    break;
                case HandOverKind.Connection:
                    var problem = Adopt(servers, message);
                    if (problem is null && HandOverProtocol.TestDelays("adopted"))
                    {
                        _logger.LogInformation("Upgrade: test delay after adopting a connection");
                        HandOverProtocol.TestDelay("adopted");
                    }

                    channel.Send(HandOverKind.ConnectionAdopted, HandOverMessage.Build(w =>
                    {
                        w.Write(problem is null);
                        w.Write(problem ?? string.Empty);
                    }));
                    break;
                default:
                    message.CloseDescriptors();
                    break;
            }
        }
    }

    private void ImportSharedState(IReadOnlyList<PluggableServer> servers, HandOverMessage message)
    {
        message.CloseDescriptors();
        var (endpoint, data) = EndpointPayload.Read(message);
        try
        {
            if (servers.FirstOrDefault(s => s.Name == endpoint) is { } server)
            {
                server.ImportSharedSessionState(SharedSessionState.Read(data));
            }
        }
        catch (Exception exception) when (exception is InvalidDataException or InvalidOperationException)
        {
            _logger.LogWarning("Upgrade: endpoint {Endpoint}'s shared session state was not imported: {Reason}", endpoint, exception.Message);
        }
        catch (Exception exception)
        {
            // The plugin's ImportSharedState is a safety boundary: its failure costs the shared state, not the host.
            _logger.LogError(exception, "Upgrade: endpoint {Endpoint}'s plugin failed to import the shared session state", endpoint);
        }
    }

    /// <summary>Null when the connection serves here now; otherwise why not (its descriptor then closed).</summary>
    private string? Adopt(IReadOnlyList<PluggableServer> servers, HandOverMessage message)
    {
        if (message.Descriptors.Length != 1)
        {
            message.CloseDescriptors();
            return $"a Connection message carries one descriptor, not {message.Descriptors.Length}";
        }

        using var snapshot = Read(message, out var endpoint, out var problem);
        if (snapshot is null)
        {
            return problem;
        }

        if (servers.FirstOrDefault(s => s.Name == endpoint) is not { } server)
        {
            return $"no endpoint {endpoint} here";
        }

        try
        {
            // On success the server owns the socket (taken from the snapshot); on a throw the snapshot still does.
            server.Adopt(snapshot);
            return null;
        }
        catch (Exception exception)
        {
            _logger.LogWarning(exception, "Upgrade: connection {Id} of endpoint {Endpoint} could not be adopted", snapshot.PreviousId, endpoint);
            return exception.Message;
        }
    }

    private static ConnectionSnapshot? Read(HandOverMessage message, out string endpoint, out string? problem)
    {
        var handle = new DescriptorHandle(message.Descriptors[0]);
        endpoint = string.Empty;
        try
        {
            (endpoint, var data) = EndpointPayload.Read(message);
            var snapshot = ConnectionSnapshot.Read(data);
            snapshot.Socket = handle;
            problem = null;
            return snapshot;
        }
        catch (InvalidDataException exception)
        {
            handle.Dispose();
            problem = exception.Message;
            return null;
        }
    }
}
