namespace PluggableNet.Host.Telemetry;

/// <summary>
/// What a host upgrade and the metrics/health listener on a fixed port tell each other (docs/upgrade.md): the port
/// cannot be bound twice, so the old host closes its listener at the hand-over and the new host binds once told.
/// Lives here, not in Upgrade, so the listener needs nothing of the hand-over's types.
/// </summary>
internal sealed class FixedTelemetryPort
{
    /// <summary>The new host's side: completes once the old host let go of the port; null when this host takes nothing over.</summary>
    public Task? OldHostReleased { get; init; }

    /// <summary>The old host's side: closes the listener, set by it only while it holds a fixed port.</summary>
    public Func<Task>? Release { get; set; }

    /// <summary>Closes the listener if it holds a fixed port; the upgrade calls this just before it says Released.</summary>
    public Task ReleaseAsync() => Release?.Invoke() ?? Task.CompletedTask;
}
