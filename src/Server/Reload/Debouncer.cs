namespace PluggableNet.Server.Reload;

/// <summary>
/// Runs an action once a burst of signals has gone quiet for <c>quiet</c>: a build writes many files and a
/// configuration file raises its change token twice, but only one reload should follow.
/// </summary>
internal sealed class Debouncer : IDisposable
{
    private readonly Timer _timer;
    private readonly TimeSpan _quiet;
    private int _disposed;

    public Debouncer(TimeSpan quiet, Action action)
    {
        _quiet = quiet;

        // The timer holds only this delegate (host code), never anything from a plugin's load context.
        _timer = new Timer(static state => ((Action)state!)(), action, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>(Re)starts the quiet period; the action runs when no signal follows within it.</summary>
    public void Signal()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            try
            {
                _timer.Change(_quiet, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Raced with Dispose: nothing left to run.
            }
        }
    }

    /// <summary>Forgets a pending quiet period: what it would have run was done another way.</summary>
    public void Cancel()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            try
            {
                _timer.Change(Timeout.Infinite, Timeout.Infinite);
            }
            catch (ObjectDisposedException)
            {
                // Raced with Dispose.
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _timer.Dispose();
        }
    }
}
