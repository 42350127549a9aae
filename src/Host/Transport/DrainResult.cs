namespace PluggableNet.Host.Transport;

/// <summary>How a graceful stop went: connections that finished on their own, and connections cut at the deadline.</summary>
internal readonly record struct DrainResult(int Drained, int Cut);
