using PluggableNet.Host.Plugins;

namespace PluggableNet.Host.Hosting;

/// <summary>The outcome of a swap: the generation now serving, and why it failed if it did.</summary>
public sealed record SwapResult(bool Succeeded, PluginGeneration Serving, string? Error, WeakReference? PreviousLoadContext = null);
