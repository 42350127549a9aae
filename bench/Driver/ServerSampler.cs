using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Driver;

/// <summary>Samples a server's CPU time and allocation counter at both edges of the measured window.</summary>
internal sealed class ServerSampler : ILoadObserver
{
    private readonly ServerProcess _server;
    private double? _cpuStart;
    private double? _cpuEnd;
    private ControlStatus? _statusStart;
    private ControlStatus? _statusEnd;

    public ServerSampler(ServerProcess server)
    {
        _server = server;
    }

    /// <summary>Server CPU seconds (user + system) spent inside the window; null when unreadable.</summary>
    public double? CpuSeconds => _cpuStart is { } start && _cpuEnd is { } end ? end - start : null;

    /// <summary>Bytes the server allocated inside the window; null without a control channel.</summary>
    public long? AllocatedBytes => _statusStart is { } start && _statusEnd is { } end ? end.AllocatedBytes - start.AllocatedBytes : null;

    /// <summary>Reactors active at the end of the window (0 when not reported).</summary>
    public int? ActiveReactors => _statusEnd is { ActiveReactors: > 0 } end ? end.ActiveReactors : null;

    /// <summary>Requests the server itself counted inside the window; null without a control channel.</summary>
    public long? ServerRequests => _statusStart is { } start && _statusEnd is { } end ? end.Requests - start.Requests : null;

    public void OnMeasurementStarting()
    {
        _statusStart = _server.Status();
        _cpuStart = ProcStats.CpuSecondsWithChildren(_server.Pid);
    }

    public void OnMeasurementEnded()
    {
        _cpuEnd = ProcStats.CpuSecondsWithChildren(_server.Pid);
        _statusEnd = _server.Status();
    }
}
