using Serilog.Core;

namespace PluggableNet.Host.Cli;

/// <summary>
/// Leaves a fatal line in the log, flushed, when the process goes down without the host deciding so: an unhandled
/// exception on any thread (a plugin's own thread included), or an exit nobody asked the host for (a plugin
/// calling <c>Environment.Exit</c>). Without it the operator finds only a stale pidfile. A stack overflow ends the
/// process before any handler runs; only the runtime's own message on stderr (the daemon's <c>.out</c> file) remains.
/// </summary>
internal sealed class UnexpectedExitLog : IDisposable
{
    /// <summary>
    /// The exit code given to an exit the host did not initiate but that claimed success (EX_SOFTWARE): non-zero, so
    /// systemd's <c>Restart=on-failure</c> restarts the service.
    /// </summary>
    public const int ExitUnexpected = 70;

    private readonly Logger _logger;
    private int _stopping;

    public UnexpectedExitLog(Logger logger)
    {
        _logger = logger;
        AppDomain.CurrentDomain.UnhandledException += OnUnhandledException;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>From now on an exit is the host's own (SIGTERM, Ctrl+C, the end of <c>run</c>).</summary>
    public void HostStopping() => Volatile.Write(ref _stopping, 1);

    public void Dispose()
    {
        AppDomain.CurrentDomain.UnhandledException -= OnUnhandledException;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
    }

    private void OnUnhandledException(object? sender, UnhandledExceptionEventArgs e)
    {
        var thread = Thread.CurrentThread;
        var exception = e.ExceptionObject as Exception;

        // A plugin in the host's process (Isolation InProcess) shares its fate: name it, so the operator knows whom to isolate.
        var plugin = PluggableNet.Server.Plugins.PluginBlame.Find(exception);
        _logger.Fatal(
            exception,
            "Unhandled exception on thread {Thread}{InPlugin}; the process is terminating: {Reason}",
            thread.Name ?? thread.ManagedThreadId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            plugin is null ? string.Empty : $" in plugin {plugin} (Isolation InProcess: its crash is the host's; Plugins:<Name>:Isolation Process contains it, docs/isolation.md)",
            exception?.Message ?? e.ExceptionObject.ToString());

        // The runtime ends the process as soon as this returns: disposing is the only flush there is.
        _logger.Dispose();
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (Volatile.Read(ref _stopping) != 0)
        {
            return;
        }

        var requested = Environment.ExitCode;
        if (requested == 0)
        {
            // Honoured by the runtime: the latched exit code is read after the ProcessExit handlers.
            Environment.ExitCode = ExitUnexpected;
        }

        _logger.Fatal(
            "The process is exiting with code {ExitCode} although the host was not stopped (a plugin or library called Environment.Exit); exit code {Effective}",
            requested,
            Environment.ExitCode);
        _logger.Dispose();
    }
}
