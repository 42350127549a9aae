using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Diagnostics;

namespace PluggableNet.Server.Sessions;

/// <summary>
/// The gate between session plugin code and a swap: every pass that calls a session plugin (and every offloaded call)
/// holds a permit; a swap suspends the gate, waits until no permit is held, moves the state, then reopens it. A
/// connection refused a permit parks (its frames stay buffered) and is woken when the gate reopens, as Erlang
/// suspends a process between messages for <c>code_change</c>.
/// </summary>
internal sealed partial class SessionRegistry
{
    private readonly ConcurrentQueue<IPushTarget> _parked = new();
    private readonly ConcurrentQueue<(Session Session, SessionCloseReason Reason)> _deferredCloses = new();
    private int _active;
    private volatile bool _suspended;

    /// <summary>Plugin passes and calls holding a permit now.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>A permit, unless a swap has suspended the gate. Pair with <see cref="Exit"/>.</summary>
    public bool TryEnter()
    {
        Interlocked.Increment(ref _active);
        if (!_suspended)
        {
            return true;
        }

        Interlocked.Decrement(ref _active);
        return false;
    }

    /// <summary>Another permit for a caller that holds one (an offloaded call started from a pass).</summary>
    public void Enter() => Interlocked.Increment(ref _active);

    public void Exit() => Interlocked.Decrement(ref _active);

    /// <summary>A connection refused a permit: woken once the gate reopens (at once if it already has).</summary>
    public void Park(IPushTarget connection)
    {
        _parked.Enqueue(connection);
        if (!_suspended)
        {
            WakeParked();
        }
    }

    /// <summary>
    /// The connection closed: its session ends (no more pushes, out of its groups) and the plugin hears of it. While
    /// a swap holds the gate the hook waits, and runs on whichever generation then owns the session's state.
    /// </summary>
    public void Closed(Session session, SessionCloseReason reason)
    {
        if (!session.End())
        {
            return;
        }

        if (!TryEnter())
        {
            // Stays registered, ended, so the swap moves its state with the others; the hook runs after.
            _deferredCloses.Enqueue((session, reason));
            if (!_suspended)
            {
                RunDeferredCloses();
            }

            return;
        }

        try
        {
            _sessions.TryRemove(session.Id, out _);
            InvokeClosed(session, reason);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Calls <see cref="ISessionPlugin.OnOpened"/> on the session's generation; a throw is logged, the session stays.</summary>
    public void InvokeOpened(SessionView view)
    {
        try
        {
            view.Scope.Plugin?.OnOpened(view);
        }
        catch (Exception exception)
        {
            HookFailed(view.Scope, "OnOpened", view.Id, exception);
        }
    }

    private void InvokeClosed(Session session, SessionCloseReason reason)
    {
        var view = session.View;
        try
        {
            view.Scope.Plugin?.OnClosed(view, reason);
        }
        catch (Exception exception)
        {
            HookFailed(view.Scope, "OnClosed", view.Id, exception);
        }
    }

    private void HookFailed(SessionScope scope, string hook, long id, Exception exception)
    {
        if (_throttled.ShouldLog(ThrottledEvent.SessionHookFault, Environment.TickCount64))
        {
            logger.LogWarning("{Plugin} threw in {Hook} for connection {ConnectionId}: {Error}", scope.Describe, hook, id, exception.Message);
        }
    }

    // Both sides are a store then a load of the other's field (Dekker): without a full fence the swap could read no
    // active pass before a TryEnter sees it suspended, and Resume could find no parked connection before a Park sees
    // it resumed, leaving that connection parked until something else wakes it.
    private void Suspend()
    {
        _suspended = true;
        Interlocked.MemoryBarrier();
    }

    private void Resume()
    {
        _suspended = false;
        Interlocked.MemoryBarrier();
        WakeParked();
        RunDeferredCloses();
    }

    private void WakeParked()
    {
        while (_parked.TryDequeue(out var connection))
        {
            connection.WakeForPushes();
        }
    }

    private void RunDeferredCloses()
    {
        while (!_suspended && _deferredCloses.TryDequeue(out var closed))
        {
            if (!TryEnter())
            {
                _deferredCloses.Enqueue(closed);
                return;
            }

            try
            {
                _sessions.TryRemove(closed.Session.Id, out _);
                InvokeClosed(closed.Session, closed.Reason);
            }
            finally
            {
                Exit();
            }
        }
    }
}
