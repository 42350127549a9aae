using PluggableNet.Host.Control;
using PluggableNet.Host.Service;
using PluggableNet.Host.Telemetry;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// What a host holds that must follow the process in an upgrade: the pidfile's lock, the control socket's path,
/// the right to speak to systemd. The old host lets go of each once the new one serves; the new one then takes them.
/// </summary>
internal sealed class HandOverResources(PidFile? pidFile = null)
{
    /// <summary>The pidfile this host holds; the new host of an upgrade sets it once it took the lock.</summary>
    public PidFile? PidFile { get; set; } = pidFile;

    /// <summary>The control socket, once open (set by the control service).</summary>
    public ControlChannel? ControlChannel { get; set; }

    /// <summary>
    /// The metrics/health listener's fixed port: the old host closes it at the hand-over, just before
    /// <see cref="HandOverKind.Released"/>, so the new host, which waited for that, can bind the same port.
    /// </summary>
    public FixedTelemetryPort TelemetryPort { get; set; } = new();

    /// <summary>Set once this host has handed over: it sends systemd nothing more (the new host is the main process).</summary>
    public bool HandedOver { get; private set; }

    /// <summary>Releases the pidfile and the control socket for the new host.</summary>
    public void Release()
    {
        HandedOver = true;
        ControlChannel?.Release();
        PidFile?.Release();
    }
}
