namespace PluggableNet.Client;

/// <summary>
/// Picks the endpoint for a request. Pure: the endpoints' state, the time and the rotation start come in, an index
/// goes out, so every rule is tested on synthetic endpoints.
/// </summary>
/// <remarks>
/// Among endpoints not yet tried for this request: one that is up, by the selection (round-robin from
/// <c>start</c>, or fewest pending with ties in rotation order), the avoided one (where the request just failed) only
/// when no other is up; and when every endpoint left is down, the one due back soonest, rather than failing without
/// trying. A single endpoint is always tried, once.
/// </remarks>
internal static class EndpointSelector
{
    /// <summary>Most endpoints a client takes: <c>tried</c> is one bit each.</summary>
    public const int MaxEndpoints = 64;

    /// <summary>Returns the index of the endpoint to try, or -1 when every endpoint was tried.</summary>
    /// <param name="endpoints">Each endpoint's state, by index.</param>
    /// <param name="selection">How to choose among endpoints that are up.</param>
    /// <param name="tried">Bit <c>i</c> set: endpoint <c>i</c> was already tried for this request.</param>
    /// <param name="avoid">The endpoint to take last among those up (-1 for none).</param>
    /// <param name="now">The current <see cref="Environment.TickCount64"/>.</param>
    /// <param name="start">Where the rotation starts (any number; taken modulo the count).</param>
    public static int Pick(ReadOnlySpan<EndpointSignal> endpoints, EndpointSelection selection, ulong tried, int avoid, long now, uint start)
    {
        var count = endpoints.Length;
        if (count == 1)
        {
            return (tried & 1) == 0 ? 0 : -1;
        }

        var first = (int)(start % (uint)count);
        var best = -1;
        var bestPending = int.MaxValue;
        for (var k = 0; k < count; k++)
        {
            var i = (first + k) % count;
            if (IsTried(tried, i) || i == avoid || now < endpoints[i].DownUntil)
            {
                continue;
            }

            if (selection == EndpointSelection.RoundRobin)
            {
                return i;
            }

            if (endpoints[i].Pending < bestPending)
            {
                best = i;
                bestPending = endpoints[i].Pending;
            }
        }

        if (best >= 0)
        {
            return best;
        }

        if (avoid >= 0 && !IsTried(tried, avoid) && now >= endpoints[avoid].DownUntil)
        {
            return avoid;
        }

        for (var i = 0; i < count; i++)
        {
            if (!IsTried(tried, i) && (best < 0 || endpoints[i].DownUntil < endpoints[best].DownUntil))
            {
                best = i;
            }
        }

        return best;
    }

    private static bool IsTried(ulong tried, int index) => (tried & (1UL << index)) != 0;
}
