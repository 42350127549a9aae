namespace PluggableNet.Server.Plugins;

/// <summary>What the last swap attempts did, for the status channel: operators ask "did my deploy take?".</summary>
internal sealed class SwapHistory
{
    private readonly Lock _lock = new();
    private DateTimeOffset? _lastSwapAt;
    private string? _lastTrigger;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private int _failures;

    /// <summary>When the last successful swap published its new generation.</summary>
    public DateTimeOffset? LastSwapAt
    {
        get
        {
            lock (_lock)
            {
                return _lastSwapAt;
            }
        }
    }

    /// <summary>The trigger of the last successful swap (file, config, signal, …).</summary>
    public string? LastTrigger
    {
        get
        {
            lock (_lock)
            {
                return _lastTrigger;
            }
        }
    }

    /// <summary>Why the last failed attempt failed, if it came after the last success; null otherwise.</summary>
    public string? LastError
    {
        get
        {
            lock (_lock)
            {
                return _lastError;
            }
        }
    }

    /// <summary>When <see cref="LastError"/> happened.</summary>
    public DateTimeOffset? LastErrorAt
    {
        get
        {
            lock (_lock)
            {
                return _lastErrorAt;
            }
        }
    }

    /// <summary>Failed swap attempts since the host started.</summary>
    public int Failures => Volatile.Read(ref _failures);

    internal void Succeeded(string trigger)
    {
        lock (_lock)
        {
            _lastSwapAt = DateTimeOffset.UtcNow;
            _lastTrigger = trigger;
            _lastError = null;
            _lastErrorAt = null;
        }
    }

    internal void Failed(string error)
    {
        Interlocked.Increment(ref _failures);
        lock (_lock)
        {
            _lastError = error;
            _lastErrorAt = DateTimeOffset.UtcNow;
        }
    }
}
