using PluggableNet.Server.Plugins;

namespace PluggableNet.Server;

/// <summary>The outcome of a swap: the generation now serving, and why it failed if it did.</summary>
/// <remarks>Do not keep a result around: <see cref="Serving"/> holds that generation, and so its code, alive after it is swapped out.</remarks>
/// <param name="Succeeded">Whether a new generation was loaded and published.</param>
/// <param name="Serving">The generation serving now: the new one, or the old one after a failure.</param>
/// <param name="Error">Why the swap failed (file and reason), or null.</param>
/// <param name="PreviousLoadContext">A weak handle on the swapped-out generation's load context, to verify its unload.</param>
/// <param name="Drained">False when the old generation still had calls running at <c>Logic:SwapDrainTimeout</c>.</param>
/// <param name="Elapsed">Load, publish and drain, end to end.</param>
internal sealed record SwapResult(
    bool Succeeded,
    PluginGeneration Serving,
    string? Error,
    WeakReference? PreviousLoadContext = null,
    bool Drained = true,
    TimeSpan Elapsed = default);
