namespace PluggableNet.Host.Service;

/// <summary>Where the host's Serilog output goes, chosen by how the host runs.</summary>
internal enum LogTarget
{
    /// <summary>Foreground <c>run</c> in a terminal: the sinks of the <c>Serilog</c> section, console by default.</summary>
    Console,

    /// <summary>Background daemon (<c>start</c>): a rolling file instead of the console, which nobody reads.</summary>
    File,

    /// <summary>Under systemd: the console, each line prefixed with its syslog priority for journald.</summary>
    Journal,
}
