using Microsoft.Extensions.Logging;

namespace PluggableNet.Server;

/// <summary>The graceful stop, one for every transport and every caller.</summary>
public sealed partial class PluggableServer
{
    /// <summary>
    /// The graceful stop, the same for every transport and whatever else is going on (a swap draining included):
    /// stop accepting at once, ask connections to finish what they have received, wait up to
    /// <c>Server:DrainTimeout</c>, then cut what is left. Every caller gets the same stop.
    /// </summary>
    public Task StopAsync()
    {
        lock (_stopLock)
        {
            return _stop ??= StopOnceAsync();
        }
    }

    private async Task StopOnceAsync()
    {
        _stopped = true;
        if (_transport is null)
        {
            // Prepared, never listening (a new host whose upgrade failed before it got its sockets).
            await Plugins.Current.DisposeAsync().ConfigureAwait(false);
            return;
        }

        if (Settings.Observability.DrainDelay > TimeSpan.Zero)
        {
            // Readiness is 503 from now on; the listener stays open so a balancer that has not noticed yet loses nothing.
            _logger.LogInformation("Stopping: not ready; still accepting for Health:DrainDelay {Delay} so balancers take this host out first", Settings.Observability.DrainDelay);
            await Task.Delay(Settings.Observability.DrainDelay).ConfigureAwait(false);
        }

        await _transport.StopAcceptingAsync().ConfigureAwait(false);
        var open = _lifecycle.Open;
        _logger.LogInformation("Stopping: no longer accepting; draining {Open} connection(s) for up to {Timeout}", open, Settings.DrainTimeout);
        var drained = _lifecycle.DrainAsync();
        _transport.ScanNow();
        await drained.WaitAsync(Settings.DrainTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var cut = await _transport.AbortAllAsync().ConfigureAwait(false);
        _logger.LogInformation("Stopped: {Drained} connection(s) drained, {Cut} cut at the deadline", Math.Max(open - cut, 0), cut);

        // A swap still waiting for calls on its old generation waits no longer: the stop's deadline is the last word.
        await _swapDrainCut.CancelAsync().ConfigureAwait(false);
        var swapEnded = await _swapLock.WaitAsync(s_swapEndGrace).ConfigureAwait(false);
        try
        {
            await Plugins.Current.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            if (swapEnded)
            {
                _swapLock.Release();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_transport is not null)
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
        }

        _swapDrainCut.Dispose();
        Meter.Dispose();
    }
}
