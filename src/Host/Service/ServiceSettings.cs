using Microsoft.Extensions.Configuration;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Interop;
using PluggableNet.Server.Reload;

namespace PluggableNet.Host.Service;

/// <summary>
/// Where the service keeps its pidfile, control socket and logs, and how logs roll. Resolved the same way by every
/// verb (<c>start</c>, <c>stop</c>, <c>status</c>, …) from the same configuration, so they all find the same host.
/// </summary>
/// <remarks>
/// Defaults, for an operator who sets nothing:
/// <list type="bullet">
/// <item>pidfile: <c>/run/pluggablenet/pluggablenet.pid</c> for root (matching the unit's RuntimeDirectory), even
/// when XDG_RUNTIME_DIR is set — <c>sudo</c> and login shells set it differently, and every verb must find the one
/// root host; else <c>$XDG_RUNTIME_DIR/pluggablenet/pluggablenet.pid</c> when it is set (a per-user tmpfs, cleared
/// at logout and boot, so stale files do not outlive a reboot); else <c>~/.local/state/pluggablenet/</c>.</item>
/// <item>control socket: the pidfile with the extension <c>.sock</c>; a foreground host with neither a pidfile nor
/// <c>Control:Socket</c> uses <c>&lt;port&gt;.sock</c> in <see cref="ControlDirectory"/>, so the verbs find it too.</item>
/// <item>log file: beside an explicitly configured pidfile; otherwise <c>/var/log/pluggablenet/</c> for root and
/// <c>$XDG_STATE_HOME/pluggablenet/</c> (default <c>~/.local/state/pluggablenet/</c>) for other users — never the
/// runtime directory, which is memory-backed and wiped at logout.</item>
/// </list>
/// </remarks>
internal sealed record ServiceSettings
{
    public const string AppName = "pluggablenet";

    private const long DefaultLogFileSizeLimit = 10L * 1024 * 1024;
    private const int DefaultLogRetainedFiles = 7;
    private const long DefaultConsoleFileSizeLimit = 10L * 1024 * 1024;

    /// <summary><c>Service:PidFile</c> (or <c>--pidfile</c>): the pidfile, locked by the running host.</summary>
    public required string PidFile { get; init; }

    /// <summary>Whether <see cref="PidFile"/> was configured rather than defaulted: only then does a foreground <c>run</c> write it.</summary>
    public bool PidFileConfigured { get; init; }

    /// <summary><c>Control:Socket</c>, default the pidfile with <c>.sock</c>: where <c>status</c> asks the host.</summary>
    public required string ControlSocket { get; init; }

    /// <summary>
    /// <c>Control:Directory</c>, default the default pidfile's directory (<c>$XDG_RUNTIME_DIR/pluggablenet</c>,
    /// <c>/run/pluggablenet</c> for root): where a foreground host without a pidfile or <c>Control:Socket</c> opens
    /// its control socket as <c>&lt;port&gt;.sock</c>, and where <c>status</c>, <c>reload</c> and <c>stop</c> look for
    /// hosts when nothing else locates one.
    /// </summary>
    public required string ControlDirectory { get; init; }

    /// <summary>Whether <c>Control:Socket</c> was configured rather than defaulted.</summary>
    public bool ControlSocketConfigured { get; init; }

    /// <summary>The control socket a foreground host listening on <paramref name="port"/> opens by default.</summary>
    public string ForegroundControlSocket(int port) =>
        Path.Combine(ControlDirectory, port.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".sock");

    /// <summary><c>Service:LogFile</c>: the background host's log. Serilog rolls it by day and size, inserting the date before the extension.</summary>
    public required string LogFile { get; init; }

    /// <summary>The background host's stdout and stderr (anything written outside Serilog, such as a runtime crash): the log file with <c>.out</c>.</summary>
    public string ConsoleFile => Path.ChangeExtension(LogFile, ".out");

    /// <summary><c>Service:LogFileSizeLimit</c>, default 10 MiB: a log file rolls over to a new one at this size.</summary>
    public long LogFileSizeLimit { get; init; } = DefaultLogFileSizeLimit;

    /// <summary><c>Service:LogRetainedFiles</c>, default 7: older log files are deleted (about a week with daily rolling).</summary>
    public int LogRetainedFiles { get; init; } = DefaultLogRetainedFiles;

    /// <summary>
    /// <c>Service:ConsoleFileSizeLimit</c>, default 10 MiB: a <see cref="ConsoleFile"/> above it is rotated to
    /// <c>.out.1</c> (replacing the previous one) when the daemon starts, so crashes logged there cannot fill the disk.
    /// </summary>
    public long ConsoleFileSizeLimit { get; init; } = DefaultConsoleFileSizeLimit;

    /// <summary><c>Service:LogOutputTemplate</c>, default the Console sink's template from the <c>Serilog</c> section, else one with the date.</summary>
    public string? LogOutputTemplate { get; init; }

    /// <summary>Resolves every path to an absolute one (relative paths are taken from the current directory).</summary>
    public static ServiceSettings Read(IConfiguration configuration) => Read(configuration, Environment.GetEnvironmentVariable, IsRoot);

    /// <summary>As <see cref="Read(IConfiguration)"/>, with the environment and the user given (for tests).</summary>
    internal static ServiceSettings Read(IConfiguration configuration, Func<string, string?> environment, bool isRoot)
    {
        var reader = new SettingsReader(configuration);
        var configuredPidFile = reader.OptionalText("Service:PidFile");
        var pidFile = configuredPidFile is null ? DefaultPidFile(environment, isRoot) : Path.GetFullPath(configuredPidFile);
        var logFile = reader.OptionalText("Service:LogFile") is { } log
            ? Path.GetFullPath(log)
            : Path.Combine(configuredPidFile is null ? DefaultLogDirectory(environment, isRoot) : Path.GetDirectoryName(pidFile)!, AppName + ".log");
        var configuredSocket = reader.OptionalText("Control:Socket");
        var socket = configuredSocket is not null ? Path.GetFullPath(configuredSocket) : Path.ChangeExtension(pidFile, ".sock");
        var controlDirectory = reader.OptionalText("Control:Directory") is { } directory
            ? Path.GetFullPath(directory)
            : Path.GetDirectoryName(DefaultPidFile(environment, isRoot))!;

        var settings = new ServiceSettings
        {
            PidFile = pidFile,
            PidFileConfigured = configuredPidFile is not null,
            ControlSocket = socket,
            ControlSocketConfigured = configuredSocket is not null,
            ControlDirectory = controlDirectory,
            LogFile = logFile,
            LogOutputTemplate = reader.OptionalText("Service:LogOutputTemplate"),
            LogFileSizeLimit = reader.Long("Service:LogFileSizeLimit", DefaultLogFileSizeLimit, 1024, long.MaxValue),
            LogRetainedFiles = reader.Int("Service:LogRetainedFiles", DefaultLogRetainedFiles, 1, 10_000),
            ConsoleFileSizeLimit = reader.Long("Service:ConsoleFileSizeLimit", DefaultConsoleFileSizeLimit, 1024, long.MaxValue),
        };

        reader.ThrowIfInvalid();
        return settings;
    }

    private static string DefaultPidFile(Func<string, string?> environment, bool isRoot)
    {
        if (isRoot)
        {
            return Path.Combine("/run", AppName, AppName + ".pid");
        }

        return NonEmpty(environment("XDG_RUNTIME_DIR")) is { } runtime
            ? Path.Combine(runtime, AppName, AppName + ".pid")
            : Path.Combine(StateHome(environment), AppName, AppName + ".pid");
    }

    private static string DefaultLogDirectory(Func<string, string?> environment, bool isRoot) =>
        isRoot ? Path.Combine("/var/log", AppName) : Path.Combine(StateHome(environment), AppName);

    private static string StateHome(Func<string, string?> environment) =>
        NonEmpty(environment("XDG_STATE_HOME"))
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");

    private static bool IsRoot => OperatingSystem.IsLinux() && Libc.geteuid() == 0;

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
