using System.Buffers;
using PluggableNet.Protocol.V2;
using PluggableNet.Server.Connections.Handover;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Sessions;

namespace PluggableNet.Server.Connections;

/// <summary>
/// Arriving from another server (issue 23): a state machine rebuilt from a <see cref="ConnectionSnapshot"/>, going on
/// from exactly where the old one stopped. Its first turn (<see cref="OnWake"/>, which the transport gives at once)
/// answers any whole frame that came with it.
/// </summary>
internal sealed partial class FrameConnection
{
    /// <summary>The machine for an adopted connection, its times re-based on this process's clock at <paramref name="now"/>.</summary>
    public static FrameConnection Adopt(ConnectionContext context, ConnectionSnapshot snapshot, long now, bool scannedFromAnotherThread)
    {
        var connection = new FrameConnection(context, snapshot.Peer, now, scannedFromAnotherThread);
        connection.Restore(snapshot, now);
        if (scannedFromAnotherThread)
        {
            // The constructor published a new connection's deadline: this one's runs from the old server's times.
            connection.PublishDeadline();
        }

        return connection;
    }

    /// <summary>
    /// The session: a new one on this server (the connection's new id), its state imported by this server's plugin
    /// from what the old one exported (<see cref="ISessionPlugin.ImportState"/>, as after a swap), and its groups joined
    /// again. Without a session plugin here the state is dropped. Throws what the import threw: nothing is kept then.
    /// </summary>
    /// <exception cref="InvalidOperationException">A swap is moving the sessions' state on this server right now.</exception>
    public void ImportSession(PluginGeneration generation, SessionSnapshot? snapshot)
    {
        var scope = generation.Sessions;
        if (snapshot is null || scope.Plugin is not { } plugin || _protocol == WireProtocol.Undecided)
        {
            return;
        }

        var registry = scope.Host;
        if (!registry.TryEnter())
        {
            throw new InvalidOperationException("A plugin swap is moving the sessions' state on this server; adopt the connection once it is done.");
        }

        var protocol = _protocol == WireProtocol.V2 ? SessionProtocol.V2 : SessionProtocol.V1;

        // As OpenSession (FrameConnection.Sessions.cs), except that the plugin imports the state instead of OnOpened.
        var overhead = protocol == SessionProtocol.V2 ? FrameHeader.Size : _codec.HeaderLength;
        var canPush = protocol == SessionProtocol.V2 || _v1Stream;
        var session = new Session(Id, this, Peer, LocalEndPoint, protocol, overhead, canPush ? _limits.MaxPendingWriteBytes : -1, protocol == SessionProtocol.V2 ? V2Output.MaxAnswerBytes : _codec.MaxAnswerBytes, registry);
        var view = new SessionView(session, scope);
        session.View = view;
        try
        {
            registry.Add(session);
            plugin.ImportState(view, new StateImport(snapshot.FromVersion, scope.Version, snapshot.State));
            foreach (var group in snapshot.Groups)
            {
                registry.Join(session, group);
            }
        }
        catch
        {
            registry.Remove(session);
            throw;
        }
        finally
        {
            registry.Exit();
        }

        _session = session;
    }

    private void Restore(ConnectionSnapshot snapshot, long now)
    {
        Peer = snapshot.Peer;
        ProxiedBy = snapshot.ProxiedBy;
        LocalEndPoint = snapshot.LocalEndPoint;
        _awaitingProxyHeader = snapshot.AwaitingProxyHeader;
        _protocol = snapshot.Protocol;
        _receivedAny = snapshot.ReceivedAny;
        Requests = snapshot.Requests;
        _v1Stream = snapshot.V1Stream;
        _deadlines = ConnectionDeadlines.FromAges(now, snapshot.FrameStartedAgoMs, snapshot.LastRequestAgoMs);
        if (snapshot.V2 is { } v2)
        {
            _lastRequestId = v2.LastRequestId;
            _lastAcceptedId = v2.LastAcceptedId;
            _lastReceivedAt = now - v2.LastReceivedAgoMs;
            _pingSentAt = v2.PingSentAgoMs < 0 ? 0 : Math.Max(1, now - v2.PingSentAgoMs);
        }

        var received = snapshot.Received.AsSpan();
        while (!received.IsEmpty)
        {
            var room = _input.GetSpan(snapshot.ExpectedFrame);
            var count = Math.Min(room.Length, received.Length);
            received[..count].CopyTo(room);
            _input.Advance(count);
            received = received[count..];
        }

        // Whole frames may have come along (held back by the old server's session gate): the first turn answers them.
        _parked = !_input.IsEmpty;
    }
}
