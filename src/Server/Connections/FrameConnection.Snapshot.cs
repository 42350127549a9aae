using System.Buffers;
using System.Net;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Connections.Handover;
using PluggableNet.Server.Sessions;

namespace PluggableNet.Server.Connections;

/// <summary>
/// Leaving for another server (issue 23, docs/upgrade-connections.md): while a detach batch is open
/// (<see cref="ConnectionContext.Detaching"/>), a connection between requests reports <see cref="ConnectionStep.Detach"/>,
/// and its transport, which stops watching the socket without closing it, calls <see cref="Detach"/> for the snapshot.
/// </summary>
internal sealed partial class FrameConnection
{
    // Stands for "no batch open": it refuses every detach.
    private static readonly DetachRequest s_noBatch = DetachRequest.Closed();

    // Its session's export failed once: it stays, and finishes here.
    private bool _detachRefused;

    /// <summary>Carried from the snapshot it was adopted from, to the next one (<see cref="ConnectionSnapshot.DescriptorsToAvoid"/>).</summary>
    internal int[] DescriptorsToAvoid { get; set; } = [];

    /// <summary>
    /// Between requests, so another server can go on from here: nothing to send, no call running or waiting for a slot,
    /// no pushes queued, not closing, not going away, not dropping a skipped frame. Bytes of the next frame may be
    /// buffered, and so may whole frames a session swap's gate held back (the adopting server answers them).
    /// </summary>
    private bool CanDetach =>
        !_detachRefused && _output.Length == 0 && _offload is null && !_waitingForOffloadSlot && InFlightCount == 0
        && !_inputEnded && !_goingAway && _discardRemaining == 0 && !_holdsPermit && _passPushCount == 0
        && (_session is not { } session || (!session.HasPushes && session.CloseRequest is null));

    /// <summary>
    /// On the connection's own thread, when <see cref="Step"/> said <see cref="ConnectionStep.Detach"/>: everything that
    /// defines the connection, its session's state exported by the plugin. The session ends here without
    /// <c>OnClosed</c> (the connection did not close) and the buffers go back; the transport then forgets the machine
    /// and hands the socket over. Null when the batch closed meanwhile, or the export failed: the connection stays.
    /// </summary>
    /// <param name="now">The clock, for the ages the snapshot carries.</param>
    /// <param name="request">The batch the snapshot goes to (<see cref="DetachRequest.Deliver"/>), when there is one.</param>
    public ConnectionSnapshot? Detach(long now, out DetachRequest request)
    {
        request = _context.Detaching ?? s_noBatch;
        if (!request.TryBegin())
        {
            return null;
        }

        SessionSnapshot? session = null;
        if (_session is { } open && !TryExportSession(open, out session))
        {
            _detachRefused = true;
            request.Abandon();
            OnStateChanged();
            return null;
        }

        var (frameStartedAgo, lastRequestAgo) = _deadlines.Ages(now);
        var snapshot = new ConnectionSnapshot
        {
            PreviousId = Id,
            Protocol = _protocol,
            AwaitingProxyHeader = _awaitingProxyHeader,
            ReceivedAny = _receivedAny,
            Requests = Requests,
            Peer = Peer as IPEndPoint,
            ProxiedBy = ProxiedBy as IPEndPoint,
            LocalEndPoint = (LocalEndPoint ?? (_waker as ILocalAddress)?.LocalEndPoint) as IPEndPoint,
            Received = _input.Length == 0 ? [] : _input.Data.ToArray(),
            ExpectedFrame = _expectedFrame,
            FrameStartedAgoMs = frameStartedAgo,
            LastRequestAgoMs = lastRequestAgo,
            V1Stream = _v1Stream,
            V2 = _protocol == WireProtocol.V2 ? SnapshotV2(now) : null,
            Session = session,
        };

        if (_session is { } leaving)
        {
            // Out of the registry and its groups, pushes refused from now on: the new server's session takes over.
            leaving.Registry.Remove(leaving);
            _session = null;
        }

        _input.Release();
        _output.Release();
        if (_context.Logger.IsEnabled(LogLevel.Debug))
        {
            HandoverLog.Detached(_context.Logger, Id, Peer, snapshot.Received.Length, Requests);
        }

        return snapshot;
    }

    private V2Snapshot SnapshotV2(long now)
    {
        var settings = SettingsFor(_context.Plugins.Current);
        return new V2Snapshot
        {
            LastRequestId = _lastRequestId,
            LastAcceptedId = _lastAcceptedId,
            LastReceivedAgoMs = Math.Max(0, now - _lastReceivedAt),
            PingSentAgoMs = _pingSentAt == 0 ? -1 : Math.Max(0, now - _pingSentAt),
            AdvertisedMaxFrameBytes = settings.MaxFrameBytes,
            AdvertisedMaxAnswerBytes = settings.MaxAnswerBytes,
            AdvertisedMaxConcurrentRequests = settings.MaxConcurrentRequests,
            AdvertisedPingIntervalMs = settings.PingIntervalMs,
            AdvertisedPingTimeoutMs = settings.PingTimeoutMs,
        };
    }

    /// <summary>The plugin writes the session's state; a throw keeps the connection here (logged), as a failed swap keeps the old state.</summary>
    private bool TryExportSession(Session session, out SessionSnapshot? snapshot)
    {
        var view = session.View;
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            view.Scope.Plugin?.ExportState(view, buffer);
        }
        catch (Exception exception)
        {
            HandoverLog.ExportFailed(_context.Logger, view.Scope.Describe, Id, exception.Message);
            snapshot = null;
            return false;
        }

        snapshot = new SessionSnapshot { PreviousId = session.Id, FromVersion = view.Scope.Version, State = buffer.WrittenSpan.ToArray(), Groups = session.GroupNames() };
        return true;
    }
}
