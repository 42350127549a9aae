using System.Buffers;
using System.Diagnostics;

namespace PluggableNet.Server.Sessions;

/// <summary>
/// The swap of a session plugin: the state moves from one generation to the next as data, with the gate suspended,
/// so no session runs old code on new state or new code on old state.
/// </summary>
internal sealed partial class SessionRegistry
{
    /// <summary>
    /// Suspends the gate, waits until no session code runs (up to <paramref name="timeout"/>), then: the shared state,
    /// then every session's state, exported by <paramref name="from"/> and imported by <paramref name="to"/>; commits,
    /// calls <paramref name="publish"/> (the new generation becomes current), retires <paramref name="from"/>, and
    /// reopens the gate. Anything that throws before the commit rolls back: nothing of the new generation is kept and
    /// <paramref name="from"/> serves on with its state. Returns how long sessions were paused.
    /// </summary>
    /// <exception cref="SessionMigrationException">The move failed or timed out; nothing changed.</exception>
    public async Task<TimeSpan> MigrateAsync(SessionScope from, SessionScope to, Action publish, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var committed = false;
        Suspend();
        try
        {
            await WaitUntilQuietAsync(from, timeout, cancellationToken).ConfigureAwait(false);
            var sessions = Snapshot();
            if (from.Plugin is { } old && to.Plugin is { } next)
            {
                var views = Move(old, next, from, to, sessions);
                foreach (var view in views)
                {
                    view?.Commit();
                }
            }
            else
            {
                // The next plugin keeps no sessions: theirs end here; the connections stay open and are served by it.
                foreach (var session in sessions)
                {
                    session.End();
                    _sessions.TryRemove(session.Id, out _);
                }

                _deferredCloses.Clear();
            }

            publish();
            committed = true;
            from.Retire();
            return Stopwatch.GetElapsedTime(started);
        }
        finally
        {
            Metrics.Migrated(committed, Stopwatch.GetElapsedTime(started));
            Resume();
        }
    }

    private async Task WaitUntilQuietAsync(SessionScope from, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Active > 0)
        {
            if (Environment.TickCount64 >= deadline)
            {
                throw new SessionMigrationException(
                    $"{Active} call(s) of {from.Describe} were still running after {timeout.TotalSeconds:0.###} s (Logic:SwapDrainTimeout); state not moved");
            }

            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The shared state first, then each session's, into staged views; throws on the first failure.</summary>
    private static SessionView?[] Move(ISessionPlugin old, ISessionPlugin next, SessionScope from, SessionScope to, Session[] sessions)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Step(from, to, "ExportSharedState", null, () => old.ExportSharedState(buffer));
        Step(from, to, "ImportSharedState", null, () => next.ImportSharedState(new StateImport(from.Version, to.Version, buffer.WrittenMemory)));

        var views = new SessionView?[sessions.Length];
        for (var i = 0; i < sessions.Length; i++)
        {
            var session = sessions[i];
            var current = session.View;
            buffer.ResetWrittenCount();
            if (ReferenceEquals(current.Scope, from))
            {
                Step(from, to, "ExportState", session.Id, () => old.ExportState(current, buffer));
            }

            var view = new SessionView(session, to);
            view.BeginStaging();
            Step(from, to, "ImportState", session.Id, () => next.ImportState(view, new StateImport(from.Version, to.Version, buffer.WrittenMemory)));
            views[i] = view;
        }

        return views;
    }

    private static void Step(SessionScope from, SessionScope to, string hook, long? id, Action step)
    {
        try
        {
            step();
        }
        catch (Exception exception)
        {
            var where = id is null ? string.Empty : $" for connection {id}";
            throw new SessionMigrationException(
                $"{(hook.StartsWith("Export", StringComparison.Ordinal) ? from.Describe : to.Describe)} threw in {hook}{where} ({from.Version} → {to.Version}): {exception.GetType().Name}: {exception.Message}",
                exception);
        }
    }
}
