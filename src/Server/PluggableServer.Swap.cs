using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Sessions;

namespace PluggableNet.Server;

/// <summary>The swap: load the next generation, publish it, drain and dispose the old one.</summary>
public sealed partial class PluggableServer
{
    /// <summary>
    /// Loads plugin <paramref name="pluginName"/> (default: the current one, re-read from disk) and swaps it in.
    /// On failure the current version keeps serving and the failure is logged; nothing throws.
    /// </summary>
    /// <remarks>
    /// Swaps are serialized, drain included, so at most two generations exist at any time (the current one and
    /// the one draining), as in Erlang's current/old code. <paramref name="cancellationToken"/> cancels only the
    /// wait for an earlier swap: once a new generation is published, the old one is always drained and disposed.
    /// A stop cuts the swap's drain short at its own deadline, so a swap never holds a stop beyond <c>Server:DrainTimeout</c>.
    /// </remarks>
    /// <param name="trigger">What asked for the swap, for the log: <c>file</c>, <c>config</c>, <c>signal</c>, …</param>
    /// <param name="pluginName">The plugin to load; null reloads the current one.</param>
    /// <param name="cancellationToken">Cancels waiting for the swap lock.</param>
    internal async Task<SwapResult> ReloadAsync(string trigger, string? pluginName = null, CancellationToken cancellationToken = default)
    {
        await _swapLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var name = pluginName ?? _pluginName;
            var current = Plugins.Current;
            if (_stopped)
            {
                return new SwapResult(false, current, "the server is stopping");
            }

            if (!IsSwappable)
            {
                return new SwapResult(false, current, $"plugin {current.Name} was registered in DI and is never swapped");
            }

            var started = Stopwatch.GetTimestamp();
            await WaitOutDeployRenamesAsync(name, cancellationToken).ConfigureAwait(false);
            PluginGeneration next;
            try
            {
                next = Factory.Load(name);
            }
            catch (Exception exception)
            {
                // The message only, never the exception object: a log sink that keeps events would keep the
                // failed load context (referenced from the stack trace) alive.
                Plugins.History.Failed(exception.Message);
                Meter.SwapEnded(trigger, succeeded: false, Stopwatch.GetElapsedTime(started));
                _logger.LogError(
                    "Swap to plugin {Plugin} ({Trigger}) failed, {Current} {Version} (generation {Generation}) keeps serving: {Reason}",
                    name, trigger, current.Name, current.Version, current.Number, exception.Message);
                return new SwapResult(false, current, exception.Message, Elapsed: Stopwatch.GetElapsedTime(started));
            }

            var loaded = Stopwatch.GetElapsedTime(started);
            next.Counters = Meter.ForPlugin(next.Name, next.Version);
            PluginGeneration previous;
            bool drained;
            try
            {
                (previous, drained) = await Plugins.SwapAsync(next, Settings.SwapDrainTimeout, _swapDrainCut.Token, trigger).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is SessionMigrationException or OperationCanceledException)
            {
                // Rolled back before anything was published: the current generation keeps serving, with its state.
                await next.DisposeAsync().ConfigureAwait(false);
                Plugins.Retired.Add(next);
                var reason = exception is SessionMigrationException ? exception.Message : "the stop cut the state move short";
                Plugins.History.Failed(reason);
                Meter.SwapEnded(trigger, succeeded: false, Stopwatch.GetElapsedTime(started));
                _logger.LogError(
                    "Swap {OldPlugin} {OldVersion} (generation {OldGeneration}) → {Plugin} {Version} ({Trigger}) rolled back; the old generation keeps serving with its sessions' state: {Reason}",
                    current.Name, current.Version, current.Number, next.Name, next.Version, trigger, reason);
                return new SwapResult(false, current, reason, Elapsed: Stopwatch.GetElapsedTime(started));
            }

            _pluginName = next.Name;
            if (!drained)
            {
                _logger.LogWarning(
                    "Plugin {Plugin} {Version} (generation {Generation}) still had calls running {When}; disposed anyway",
                    previous.Name, previous.Version, previous.Number,
                    _stopped ? "when the stop reached Server:DrainTimeout" : $"after Logic:SwapDrainTimeout {Settings.SwapDrainTimeout}");
            }

            if (previous.Abandoned is var abandoned and > 0)
            {
                _logger.LogWarning(
                    "Plugin {Plugin} {Version} (generation {Generation}) keeps {Abandoned} abandoned call(s) running (their connections are gone; the swap did not wait for them); its code stays loaded until they end",
                    previous.Name, previous.Version, previous.Number, abandoned);
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            Meter.SwapEnded(trigger, succeeded: true, elapsed, loaded, elapsed - loaded);
            _logger.LogInformation(
                "Swapped plugin {OldPlugin} {OldVersion} (generation {OldGeneration}) → {Plugin} {Version} (generation {Generation}), trigger {Trigger}, in {ElapsedMs:F1} ms (load {LoadMs:F1} ms, drain {DrainMs:F1} ms)",
                previous.Name, previous.Version, previous.Number, next.Name, next.Version, next.Number, trigger,
                elapsed.TotalMilliseconds, loaded.TotalMilliseconds, (elapsed - loaded).TotalMilliseconds);
            Plugins.Retired.Verify(_logger);
            return new SwapResult(true, next, null, previous.LoadContext, drained, elapsed);
        }
        finally
        {
            _swapLock.Release();
        }
    }

    /// <summary>
    /// A deploy renames the live folder away, then its staged successor into place: a reload asked for between the
    /// two renames waits for the new folder (bounded) instead of failing with "not found".
    /// </summary>
    private async Task WaitOutDeployRenamesAsync(string name, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)s_deployGap.TotalMilliseconds;
        while (Factory.FindFolder(name) is null && Factory.IsBeingReplaced(name) && Environment.TickCount64 < deadline)
        {
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }
}
