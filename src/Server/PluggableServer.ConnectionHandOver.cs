using PluggableNet.Server.Connections;
using PluggableNet.Server.Connections.Handover;
using PluggableNet.Server.Sessions;
using PluggableNet.Server.Transport;

namespace PluggableNet.Server;

/// <summary>
/// Established connections moving between servers (issue 23, docs/upgrade-connections.md): detached here between
/// requests, adopted there, with everything that defines them. The host's upgrade passes the sockets over
/// <c>SCM_RIGHTS</c> and the snapshots' written form beside them; in one process two servers can do it directly.
/// </summary>
public sealed partial class PluggableServer
{
    /// <summary>
    /// Opens a detach batch: for a session plugin, the sessions' gate is held (as a swap holds it) and the shared state
    /// exported once no session code runs; then every connection leaves as soon as it is between requests, until none
    /// is left or <paramref name="deadline"/> passes. Swaps wait meanwhile. A TLS endpoint's connections never leave
    /// (SslStream's state cannot be exported): its batch is empty.
    /// </summary>
    /// <exception cref="SessionMigrationException">Session calls still ran at the deadline, or the shared export threw: nothing left.</exception>
    internal async Task<ConnectionDetach> BeginDetachAsync(TimeSpan deadline, CancellationToken cancellationToken = default)
    {
        var request = new DetachRequest();
        if (Certificates is not null || _stopped)
        {
            request.Close();
            return new ConnectionDetach(request, null, () => _lifecycle.Open);
        }

        var until = Environment.TickCount64 + (long)deadline.TotalMilliseconds;
        await _swapLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        SessionRegistry? gate = null;
        SharedSessionState? shared = null;
        try
        {
            SessionScope scope;
            using (var lease = Plugins.Acquire())
            {
                scope = lease.Generation.Sessions;
            }

            if (scope.Plugin is not null)
            {
                var remaining = TimeSpan.FromMilliseconds(Math.Max(0, until - Environment.TickCount64));
                shared = new SharedSessionState(scope.Version, await scope.Host.SuspendForDetachAsync(scope, remaining, cancellationToken).ConfigureAwait(false));
                gate = scope.Host;
            }
        }
        catch
        {
            _swapLock.Release();
            throw;
        }

        var context = _lifecycle.Context;
        context.Detaching = request;
        var timer = new Timer(static state => ((DetachRequest)state!).Close(), request, Math.Max(0, until - Environment.TickCount64), Timeout.Infinite);
        var batch = new ConnectionDetach(request, shared, () =>
        {
            timer.Dispose();
            context.Detaching = null;
            gate?.ResumeAfterDetach();
            _swapLock.Release();
            var left = _lifecycle.Open;
            HandoverLog.BatchEnded(_logger, request.Delivered, left, left == 0 ? string.Empty : " (busy at the deadline: they close with it)");

            // Those that stayed get a turn now the batch is closed, as a parked session would after a swap.
            _transport.ScanNow();
            return left;
        });
        _transport.RequestDetach();
        if (_lifecycle.Open == 0)
        {
            request.Close();
        }

        return batch;
    }

    /// <summary>
    /// Serves a connection detached from another server, from exactly where it left: its session's state is imported
    /// by this server's plugin (<c>ImportState</c>, with the old version as <c>FromVersion</c>) before anything else
    /// runs. On success this server owns the snapshot's socket; when it throws, the caller still does.
    /// </summary>
    /// <exception cref="InvalidOperationException">A TLS endpoint, a stopping server, a snapshot without its socket, or a swap moving state right now.</exception>
    internal void Adopt(ConnectionSnapshot snapshot)
    {
        if (Certificates is not null)
        {
            throw new InvalidOperationException("A TLS endpoint adopts no connection: a TLS session's state cannot be moved.");
        }

        if (_stopped)
        {
            throw new InvalidOperationException("The server is stopping.");
        }

        if (snapshot.Socket is not { IsInvalid: false, IsClosed: false })
        {
            throw new InvalidOperationException("The snapshot has no socket: attach the descriptor that came with it.");
        }

        var machine = _lifecycle.Adopt(snapshot, Environment.TickCount64, scannedFromAnotherThread: Transport == TransportKind.Sockets);
        try
        {
            using var lease = Plugins.Acquire();
            machine.ImportSession(lease.Generation, snapshot.Session);
        }
        catch
        {
            _lifecycle.AdoptionFailed(machine);
            throw;
        }

        _transport.Adopt(snapshot.TakeSocket(), machine);
    }

    /// <summary>Imports a detach batch's shared session state into this server's plugin; before the first <see cref="Adopt"/>.</summary>
    /// <exception cref="InvalidOperationException">A swap is moving state right now.</exception>
    internal void ImportSharedSessionState(SharedSessionState state)
    {
        using var lease = Plugins.Acquire();
        var scope = lease.Generation.Sessions;
        if (scope.Plugin is not { } plugin)
        {
            return;
        }

        if (!scope.Host.TryEnter())
        {
            throw new InvalidOperationException("A plugin swap is moving the sessions' state on this server; import once it is done.");
        }

        try
        {
            plugin.ImportSharedState(new StateImport(state.FromVersion, scope.Version, state.Data));
        }
        finally
        {
            scope.Host.Exit();
        }
    }
}
