using PluggableNet.Server.Plugins;

namespace PluggableNet.Server.Transport.Sockets;

/// <summary>
/// Wakes asked by a sockets connection's own pass (its plugin broadcasting, say) are set when the pass ends, not one
/// by one as it runs. A pass answering a burst of broadcasts to 10,000 members otherwise woke each member while the
/// pass went on: on the thread pool's other core the members ran at once, took the one or two messages queued so far,
/// sent them and parked, to be woken again by the next broadcast, up to one wake and one send per message per member.
/// Deferred, a member is woken once per pass and sends the pass's messages together, as the C baseline's one send
/// per connection per wake-up and epoll's reactor (which runs woken connections after the pass) do.
/// </summary>
/// <remarks>
/// A wake is delayed, never dropped: the pass's <c>finally</c> sets every one, and only this thread's own pass defers
/// (a timer, an offloaded call or another transport's thread wakes at once). A slow-consumer cut is never deferred.
/// </remarks>
internal sealed partial class SocketConnection
{
    // The connections this thread's current pass woke, while a pass runs on it; null on other threads.
    [ThreadStatic]
    private static List<SocketConnection>? t_deferredWakes;

    [ThreadStatic]
    private static bool t_inPass;

    /// <summary>The loop: hands <paramref name="count"/> received bytes to the machine, setting the wakes its pass asked for after it.</summary>
    private void ReceivedDeferringWakes(int count, PluginGeneration generation)
    {
        if (t_inPass)
        {
            // Not expected (a pass does not run another connection's loop), but never lose the outer pass's wakes.
            Received(count, generation);
            return;
        }

        t_inPass = true;
        try
        {
            Received(count, generation);
        }
        finally
        {
            t_inPass = false;
            SetDeferredWakes();
        }
    }

    /// <summary>Any thread: true if this thread's pass took the wake, to set it when the pass ends.</summary>
    private bool DeferWake()
    {
        if (!t_inPass)
        {
            return false;
        }

        (t_deferredWakes ??= []).Add(this);
        return true;
    }

    private static void SetDeferredWakes()
    {
        if (t_deferredWakes is not { Count: > 0 } wakes)
        {
            return;
        }

        for (var i = 0; i < wakes.Count; i++)
        {
            wakes[i].SetWoken();
        }

        wakes.Clear();
    }
}
