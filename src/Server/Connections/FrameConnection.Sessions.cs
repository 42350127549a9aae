using System.Buffers;
using System.Net;
using PluggableNet.Protocol.V2;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Sessions;

namespace PluggableNet.Server.Connections;

/// <summary>
/// A connection served by a session plugin (<see cref="ISessionPlugin"/>): its session opens once the protocol is
/// known, every pass that calls the plugin holds a permit of the registry's gate (so a swap can move the state between
/// requests), pushes queued by any thread are framed here on the connection's own thread, and a close asked from
/// another thread (the plugin's Close, a slow consumer) is acted on here.
/// </summary>
internal sealed partial class FrameConnection : IPushTarget
{
    private Session? _session;

    // The session's view and plugin for this pass, while it holds a gate permit; null otherwise.
    private SessionView? _passView;
    private ISessionPlugin? _passPlugin;
    private SessionRegistry? _gate;
    private bool _holdsPermit;
    private bool _parked;
    private bool _v1Stream;

    /// <summary>The host's address the client connected to: set by the transport; the PROXY header's destination when proxied.</summary>
    public EndPoint? LocalEndPoint { get; set; }

    /// <summary>Whether a transport must be able to wake a receive: v2, or a session that may be pushed to or closed from elsewhere.</summary>
    public bool Wakeable => _protocol == WireProtocol.V2 || _session is not null;

    /// <summary>
    /// Any thread: a push found this connection too far behind under <see cref="SlowConsumerPolicy.CloseConnection"/>.
    /// A transport whose loop may sit in a send the peer never drains cuts the socket at once instead of waiting for a turn.
    /// </summary>
    public bool SlowConsumerCut => _session?.CloseRequest == SessionCloseReason.SlowConsumer;

    /// <summary>
    /// Set by a transport that sends with <see cref="OutputBuffer.Gather"/> (epoll's sendmsg): pushes are then spliced
    /// into the output from their shared buffer, not copied into it.
    /// </summary>
    public bool GathersOutput { get; set; }

    /// <summary>Whether <see cref="PendingOutput"/> is not the whole output: the transport must gather (<see cref="GatherOutput"/>).</summary>
    public bool HasSplicedOutput => _output.HasSplices;

    void IPushTarget.WakeForPushes() => _waker?.Wake();

    /// <summary>The pending output in send order, for a gathered send: see <see cref="OutputBuffer.Gather"/>.</summary>
    public int GatherOutput(Span<OutputSegment> segments, out byte[]? inline) => _output.Gather(segments, out inline);

    /// <summary>
    /// Before a request goes to a session plugin: a permit of the gate, and the session (opened now if it is not yet).
    /// False when a swap holds the gate or this pass runs on a generation the session no longer belongs to: the frame
    /// stays buffered and the connection is woken to try again.
    /// </summary>
    private bool EnterSession(PluginGeneration generation)
    {
        var scope = generation.Sessions;
        if (_passView is { } view && ReferenceEquals(view.Scope, scope))
        {
            return true;
        }

        var registry = scope.Host;
        if (!_holdsPermit)
        {
            if (!registry.TryEnter())
            {
                Park(registry);
                return false;
            }

            _holdsPermit = true;
            _gate = registry;
        }

        if (_session is { Ended: true } && CloseReason == CloseReason.None)
        {
            // A swap to a plugin without sessions ended it; this generation starts a new one.
            _session = null;
        }

        if (scope.Plugin is not { } plugin || scope.Retired || (_session is not null && !ReferenceEquals(_session.View.Scope, scope)))
        {
            // This pass's lease is on a generation a swap just retired: the next turn gets the current one.
            ExitSessionPass();
            Park(registry);
            return false;
        }

        _session ??= OpenSession(scope);
        _passView = _session.View;
        _passPlugin = plugin;
        return true;
    }

    private Session OpenSession(SessionScope scope)
    {
        var protocol = _protocol == WireProtocol.V2 ? SessionProtocol.V2 : SessionProtocol.V1;
        _v1Stream = protocol == SessionProtocol.V1 && scope.Options.V1StreamMode;
        var overhead = protocol == SessionProtocol.V2 ? FrameHeader.Size : _codec.HeaderLength;
        var canPush = protocol == SessionProtocol.V2 || _v1Stream;
        LocalEndPoint ??= (_waker as ILocalAddress)?.LocalEndPoint;
        var session = new Session(Id, this, Peer, LocalEndPoint, protocol, overhead, canPush ? _limits.MaxPendingWriteBytes : -1, protocol == SessionProtocol.V2 ? V2Output.MaxAnswerBytes : _codec.MaxAnswerBytes, scope.Host)
        {
            ClientCertificateSubject = TlsClientSubject,
        };
        session.View = new SessionView(session, scope);
        scope.Host.Add(session);
        scope.Host.InvokeOpened(session.View);
        return session;
    }

    /// <summary>Refused a permit: the frame stays buffered, nothing more is read, and the gate wakes the connection when it reopens.</summary>
    private void Park(SessionRegistry registry)
    {
        if (!_parked)
        {
            _parked = true;
            registry.Park(this);
        }
    }

    /// <summary>At the end of every event: the permit goes back, so a swap waits for passes, never for idle connections.</summary>
    private void ExitSessionPass()
    {
        _passView = null;
        _passPlugin = null;
        if (_holdsPermit)
        {
            _holdsPermit = false;
            _gate!.Exit();
        }
    }

    /// <summary>The connection's thread: queued pushes become frames, and a close asked elsewhere is acted on.</summary>
    private void ServeSession()
    {
        if (_session is not { } session)
        {
            return;
        }

        session.TakeWakeRequest();
        if (CloseReason == CloseReason.None)
        {
            // Nothing is pushed once the connection is closing: on v2 GOAWAY is the last frame.
            WritePushes(session);
        }

        if (session.CloseRequest is { } request && CloseReason == CloseReason.None)
        {
            CloseForSession(request == SessionCloseReason.SlowConsumer ? CloseReason.SlowConsumer : CloseReason.ClosedByPlugin, session.CloseText);
        }
    }

    /// <summary>
    /// Before a pass takes requests: pushes queued before they arrived go out before their answers. Without this a
    /// reactor that had not yet had its wake-up for them (busy, or descheduled) framed them after the answer.
    /// </summary>
    private void WritePushesQueuedEarlier()
    {
        if (_session is { } session && (session.HasPushes || _passPushCount > 0) && CloseReason == CloseReason.None)
        {
            WritePushes(session);
        }
    }

    private void WritePushes(Session session)
    {
        var pushed = _passPushCount > 0;
        WriteHeldPushes();
        while (session.TryTakePush(out var payload))
        {
            pushed = true;
            WritePush(payload);
        }

        if (pushed)
        {
            // A subscriber that only listens is not idle while it is being pushed to (Limits:IdleTimeout).
            _deadlines.RequestAnswered(Environment.TickCount64);
        }
    }

    /// <summary>One push as a frame in the output; the payload's holder is released, or kept by the spliced output.</summary>
    private void WritePush(SharedPayload payload)
    {
        if (GathersOutput && payload.IsPinned)
        {
            // The header here, the payload sent from the broadcast's one shared copy (which keeps the reference).
            WritePushHeader(payload.Length);
            _output.Splice(payload);
            return;
        }

        if (_protocol == WireProtocol.V2)
        {
            V2Output.Frame(_output, FrameType.Push, 0, payload.Span);
        }
        else
        {
            var headerAt = _output.Reserve(_codec.HeaderLength);
            _output.Write(payload.Span);
            _codec.WriteHeader(_output.Slice(headerAt, _codec.HeaderLength), payload.Length);
        }

        payload.Release();
    }

    private void WritePushHeader(int length)
    {
        if (_protocol == WireProtocol.V2)
        {
            var headerAt = V2Output.BeginFrame(_output);
            new FrameHeader((uint)length, FrameType.Push, 0, 0).Write(_output.Slice(headerAt, FrameHeader.Size));
        }
        else
        {
            var headerAt = _output.Reserve(_codec.HeaderLength);
            _codec.WriteHeader(_output.Slice(headerAt, _codec.HeaderLength), length);
        }
    }

    private void CloseForSession(CloseReason reason, string text)
    {
        if (reason == CloseReason.SlowConsumer)
        {
            Abort(reason);
        }
        else if (_protocol == WireProtocol.V2)
        {
            BeginGoAway(ErrorCode.NoError, text.Length == 0 ? "closed by the server" : text, reason);
        }
        else
        {
            RequestGracefulClose(reason);
        }
    }

    /// <summary>After the socket closed: the session ends and the plugin hears why.</summary>
    private void EndSession()
    {
        DiscardPassPushes();
        ExitSessionPass();
        if (_session is { } session)
        {
            session.Registry.Closed(session, SessionCloseReasonOf(CloseReason));
        }
    }

    private static SessionCloseReason SessionCloseReasonOf(CloseReason reason) => reason switch
    {
        CloseReason.RemoteClosed or CloseReason.RemoteReset or CloseReason.None => SessionCloseReason.ClientClosed,
        CloseReason.ReadTimeout or CloseReason.ReceiveTooSlow or CloseReason.WriteTimeout or CloseReason.IdleTimeout
            or CloseReason.ProcessTimeout or CloseReason.PingTimeout => SessionCloseReason.Timeout,
        CloseReason.ProtocolError => SessionCloseReason.ProtocolError,
        CloseReason.PluginFault or CloseReason.AnswerTooLarge => SessionCloseReason.PluginFault,
        CloseReason.ClosedByPlugin => SessionCloseReason.ClosedByPlugin,
        CloseReason.SlowConsumer => SessionCloseReason.SlowConsumer,
        CloseReason.Shutdown => SessionCloseReason.Shutdown,
        _ => SessionCloseReason.InternalError,
    };
}
