namespace PluggableNet.Server.Diagnostics;

/// <summary>
/// What the <see cref="HostMeter"/> reads, at collection time only, from the parts of the server above this folder
/// (the offload gate, the plugin switch): passed in as functions so the meter depends on nothing above it.
/// </summary>
internal sealed class ServerReadings
{
    /// <summary>Offloaded calls running for a connection that waits for them.</summary>
    public Func<int> OffloadsRunning { get; init; } = static () => 0;

    /// <summary>Offloaded calls still running after their connection went away.</summary>
    public Func<int> OffloadsAbandoned { get; init; } = static () => 0;

    /// <summary>Swapped-out plugin generations whose code is still loaded.</summary>
    public Func<int> RetiredGenerations { get; init; } = static () => 0;

    /// <summary>The generation serving new requests: its counters (name, version) and number.</summary>
    /// <summary>Sessions open now (a session plugin's connections).</summary>
    public Func<int> ActiveSessions { get; init; } = static () => 0;

    /// <summary>Pushes by outcome, in the order of <see cref="PushOutcomes"/>.</summary>
    public Func<int, long> Pushes { get; init; } = static _ => 0;

    /// <summary>Broadcasts to a group.</summary>
    public Func<long> Broadcasts { get; init; } = static () => 0;

    /// <summary>State moves at a swap: (succeeded, rolled back, the last one's pause in microseconds).</summary>
    public Func<(long Succeeded, long RolledBack, long LastPauseMicroseconds)> Migrations { get; init; } = static () => (0, 0, 0);

    /// <summary>The push outcomes, as tag values: queued, dropped, closed, gone, refused.</summary>
    public static readonly string[] PushOutcomes = ["queued", "dropped", "closed", "gone", "refused"];

    public Func<(PluginCounters Plugin, int Number)> CurrentGeneration { get; init; } = static () => (PluginCounters.Detached, 0);
}
