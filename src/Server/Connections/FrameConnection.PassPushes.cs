using PluggableNet.Server.Sessions;

namespace PluggableNet.Server.Connections;

/// <summary>
/// Pushes a connection takes at once from its own transport thread (an epoll reactor broadcasting to the members it
/// serves), held as references and framed when the pass sends: the session's queue, its wake and its drain are
/// skipped, as the C baseline appends to each member's buffer. See docs/sessions.md.
/// </summary>
internal sealed partial class FrameConnection
{
    // The array starts small and is kept up to PassPushesKept (1 KiB: a burst of a hundred broadcasts in one pass,
    // reused by the next). Reactor thread only.
    private const int PassPushesFirst = 4;
    private const int PassPushesKept = 128;
    private SharedPayload[]? _passPushes;
    private int _passPushCount;
    private int _passPushBytes;

    /// <summary>
    /// Taken at once only where <see cref="ServeSession"/> would write the push on the connection's next turn, with
    /// nothing between: on the pass that owns the connection, not inside the connection's own event (its plugin may be
    /// writing an answer into the output: a push to itself is queued), not closing, and with no call whose answer the
    /// output must wait for (v1 offloaded or isolated calls). The push is held, not framed: framed now, every member of
    /// a broadcast would hold an output array until the pass sends, where framed when it sends, one array goes round.
    /// </summary>
    ImmediatePush IPushTarget.TryTakeNow(SharedPayload payload, int frameBytes, int maxPendingBytes)
    {
        if (_waker is not { OnOwnPass: true } waker || _holdsPermit || CloseReason != CloseReason.None || _offload is not null || IsolatedCount > 0)
        {
            return ImmediatePush.Unavailable;
        }

        var backlog = _output.Length + _passPushBytes + frameBytes;
        if (backlog > maxPendingBytes)
        {
            return ImmediatePush.OverLimit;
        }

        if (_passPushCount == 0)
        {
            waker.SendAfterPass();
        }

        _passPushes ??= new SharedPayload[PassPushesFirst];
        if (_passPushCount == _passPushes.Length)
        {
            Array.Resize(ref _passPushes, _passPushCount * 2);
        }

        _passPushes[_passPushCount++] = payload;
        _passPushBytes += frameBytes;
        _session!.PublishBacklog(backlog);
        return ImmediatePush.Taken;
    }

    /// <summary>The pass that took pushes at once (<see cref="IPushTarget.TryTakeNow"/>) frames them now, before it sends.</summary>
    public void WritePassPushes(long now)
    {
        if (_passPushCount == 0)
        {
            return;
        }

        if (CloseReason != CloseReason.None)
        {
            // Closing since (on v2 GOAWAY is the last frame): nothing more is written.
            DiscardPassPushes();
            return;
        }

        WriteHeldPushes();

        // A subscriber that only listens is not idle while it is being pushed to (Limits:IdleTimeout).
        _deadlines.RequestAnswered(now);
        OnStateChanged();
    }

    /// <summary>The pushes held for the pass, in the order taken: before any queued push, which came after them.</summary>
    private void WriteHeldPushes()
    {
        for (var i = 0; i < _passPushCount; i++)
        {
            WritePush(_passPushes![i]);
            _passPushes[i] = null!;
        }

        ForgetPassPushes();
    }

    private void DiscardPassPushes()
    {
        for (var i = 0; i < _passPushCount; i++)
        {
            _passPushes![i].Release();
            _passPushes[i] = null!;
        }

        ForgetPassPushes();
    }

    private void ForgetPassPushes()
    {
        _passPushCount = 0;
        _passPushBytes = 0;
        if (_passPushes is { Length: > PassPushesKept })
        {
            // Only a tiny-push flood near the write limit grows it past that: it goes.
            _passPushes = null;
        }
    }
}
