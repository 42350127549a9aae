namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// Erlang's supervisor intensity as a pure rule: at most <c>MaxRestarts</c> restarts within <c>Window</c>; one more
/// and the supervisor gives up. Times in, decision out; no clock, no threads.
/// </summary>
internal sealed class RestartIntensity(int maxRestarts, TimeSpan window)
{
    private readonly Queue<long> _restarts = new();

    /// <summary>Records a crash at <paramref name="nowMs"/>: true if a restart is allowed, false if the limit is reached.</summary>
    public bool TryRestart(long nowMs)
    {
        var windowMs = (long)window.TotalMilliseconds;
        while (_restarts.Count > 0 && nowMs - _restarts.Peek() >= windowMs)
        {
            _restarts.Dequeue();
        }

        if (_restarts.Count >= maxRestarts)
        {
            return false;
        }

        _restarts.Enqueue(nowMs);
        return true;
    }
}
