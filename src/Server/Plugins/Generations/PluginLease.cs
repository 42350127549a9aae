namespace PluggableNet.Server.Plugins;

/// <summary>
/// A pin on one plugin generation: while it is held, the generation is neither disposed nor unloaded. The only
/// way into a generation, so acquiring and releasing cannot come apart: <c>using var lease = plugins.Acquire();</c>.
/// </summary>
internal readonly struct PluginLease : IDisposable
{
    private PluginLease(PluginGeneration generation) => Generation = generation;

    /// <summary>The pinned generation; every request handled under this lease runs entirely on it.</summary>
    public PluginGeneration Generation { get; }

    /// <summary>Pins <paramref name="generation"/>; the caller checks that it is still current if that matters.</summary>
    internal static PluginLease Pin(PluginGeneration generation)
    {
        generation.Enter();
        return new PluginLease(generation);
    }

    public void Dispose() => Generation?.Exit();

    /// <summary>
    /// The holder's caller is gone but its call runs on: the pin stays (the code must stay loaded under it), a swap
    /// stops waiting for it. End it with <see cref="DisposeAbandoned"/>, not <see cref="Dispose"/>.
    /// </summary>
    public void Abandon() => Generation.Abandon();

    /// <summary>Releases a pin that was <see cref="Abandon"/>ed.</summary>
    public void DisposeAbandoned() => Generation.ExitAbandoned();
}
