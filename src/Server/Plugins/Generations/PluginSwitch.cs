using PluggableNet.Server.Sessions;

namespace PluggableNet.Server.Plugins;

/// <summary>
/// Holds the plugin generation that new requests go to, and swaps it atomically.
/// </summary>
/// <remarks>
/// Callers hold a <see cref="PluginLease"/> from <see cref="Acquire"/> for their work: a reactor once per wake-up,
/// an offloaded request for its whole run. A swap publishes the new generation first, then waits until the
/// old one has nothing running before disposing it, as Erlang purges old code only when no process runs it.
/// </remarks>
internal sealed class PluginSwitch
{
    private PluginGeneration _current;
    private int _swaps;

    public PluginSwitch(PluginGeneration initial, SessionRegistry? sessions = null)
    {
        _current = initial;
        Sessions = sessions ?? initial.Sessions.Host;
    }

    /// <summary>The host's sessions, whose state a swap between session plugins moves (<see cref="SessionRegistry.MigrateAsync"/>).</summary>
    public SessionRegistry Sessions { get; }

    public PluginGeneration Current => Volatile.Read(ref _current);

    /// <summary>Successful swaps so far.</summary>
    public int Swaps => Volatile.Read(ref _swaps);

    /// <summary>The outcome of the last swap attempts.</summary>
    public SwapHistory History { get; } = new();

    /// <summary>Swapped-out generations, watched until their code is collected.</summary>
    public RetiredGenerations Retired { get; } = new();

    /// <summary>Pins the current generation: it will not be disposed until the lease is disposed.</summary>
    internal PluginLease Acquire()
    {
        while (true)
        {
            var lease = PluginLease.Pin(Volatile.Read(ref _current));

            // A swap may have published a newer generation between the read and the pin; the old one may already
            // be draining, so retry on the new one rather than start work on code being retired.
            if (ReferenceEquals(lease.Generation, Volatile.Read(ref _current)))
            {
                return lease;
            }

            lease.Dispose();
        }
    }

    /// <summary>
    /// Publishes <paramref name="next"/>, waits (up to <paramref name="drainTimeout"/>) for the calls still wanted on
    /// the previous generation to end (not for abandoned ones), then disposes it. Returns the previous generation and whether it drained in time.
    /// </summary>
    /// <remarks>Cancelling <paramref name="cancellationToken"/> ends the wait early, as a timeout does (not drained).
    /// <paramref name="trigger"/> is recorded in <see cref="History"/> as the new generation is published, so a status read sees both together.</remarks>
    public async Task<(PluginGeneration Previous, bool Drained)> SwapAsync(PluginGeneration next, TimeSpan drainTimeout, CancellationToken cancellationToken = default, string trigger = "swap")
    {
        var previous = Current;
        if (previous.SessionPlugin is not null)
        {
            // Throws SessionMigrationException with nothing published: the caller keeps the old generation serving.
            await Sessions.MigrateAsync(previous.Sessions, next.Sessions, () => Volatile.Write(ref _current, next), drainTimeout, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            Volatile.Write(ref _current, next);
            previous.Sessions.Retire();
        }

        Interlocked.Increment(ref _swaps);
        History.Succeeded(trigger);
        var drained = false;
        try
        {
            drained = await WaitUntilIdleAsync(previous, drainTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A stop cut the wait short: the previous generation is retired now, like after a timeout.
        }
        finally
        {
            // Even when the wait is cancelled (shutdown), the previous generation is retired now: nobody else will.
            await previous.DisposeAsync().ConfigureAwait(false);
            Retired.Add(previous);
        }

        return (previous, drained);
    }

    internal static async Task<bool> WaitUntilIdleAsync(PluginGeneration generation, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var delay = 1;
        // Only calls still wanted: an abandoned call keeps its pin (so the code stays loaded under it) but its
        // connection is gone, and a call that ignores cancellation must not hold every later swap for the timeout.
        while (generation.Wanted > 0)
        {
            if (Environment.TickCount64 >= deadline)
            {
                return false;
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = Math.Min(delay * 2, 50);
        }

        return true;
    }
}
