using Microsoft.Extensions.Logging;

namespace PluggableNet.Server;

/// <summary>
/// The listener side of a host upgrade (docs/upgrade.md): the old host lends its listening socket to the new one,
/// then stops accepting while the new one accepts on the same socket, so no connect is ever refused.
/// </summary>
public sealed partial class PluggableServer
{
    /// <summary>Whether a plugin swap holds the swap lock right now (an upgrade then waits for it, or is refused).</summary>
    internal bool IsSwapping => _swapLock.CurrentCount == 0;

    /// <summary>Whether the graceful stop has begun (draining).</summary>
    internal bool IsStopping => _stopped;

    /// <summary>Whether <see cref="Listen"/> has run (a prepared server of a failed upgrade never listened).</summary>
    internal bool HasTransport => _transport is not null;

    /// <summary>The listening socket's descriptor, shareable with another process; -1 once accepting stopped.</summary>
    internal int ShareListener() => _transport.ShareListener();

    /// <summary>
    /// Stops accepting only: the new host accepts on the same socket now. The connections this host has go on being
    /// served until its own stop drains them.
    /// </summary>
    internal async Task StopAcceptingForHandOverAsync()
    {
        await _transport.StopAcceptingAsync().ConfigureAwait(false);
        _logger.LogInformation("Upgrade: stopped accepting on {Address}:{Port}; the new host accepts on the same socket", LocalEndPoint.Address, LocalEndPoint.Port);
    }
}
