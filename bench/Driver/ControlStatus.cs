namespace PluggableNet.Bench.Driver;

/// <summary>One answer of a server's control channel to <c>status</c>.</summary>
internal sealed record ControlStatus(int Pid, long Connections, long Requests, long AllocatedBytes, string Plugin, string PluginVersion, int ActiveReactors = 0);
