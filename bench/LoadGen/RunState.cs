namespace PluggableNet.LoadGen;

/// <summary>Flags shared by the runner and all connection loops; read on every batch, so kept plain and volatile.</summary>
internal sealed class RunState
{
    private volatile bool _recording;
    private volatile bool _stopping;

    /// <summary>True while the measured window is open: latencies are recorded.</summary>
    public bool Recording
    {
        get => _recording;
        set => _recording = value;
    }

    /// <summary>True once the run is over: failures after this point are teardown, not errors.</summary>
    public bool Stopping
    {
        get => _stopping;
        set => _stopping = value;
    }
}
