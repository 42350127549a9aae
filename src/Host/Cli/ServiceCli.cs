using System.CommandLine;
using PluggableNet.Host.Service;

namespace PluggableNet.Host.Cli;

/// <summary>
/// The command line: <c>run</c> (the default), <c>start</c>, <c>stop</c>, <c>restart</c>, <c>status</c>,
/// <c>reload</c>, <c>upgrade</c>, and <c>send</c> (a client, <see cref="SendCommand"/>). Tokens the parser does not know go to <see cref="HostArguments"/>, which takes them as configuration
/// overrides (<c>--Server:Port=19090</c>) or rejects them naming the token; each verb gets that record.
/// </summary>
internal static class ServiceCli
{
    private const string OverridesHelp =
        "Configuration overrides: --Section:Key=value, e.g. --Server:Port=19090.";

    public static Task<int> InvokeAsync(string[] args)
    {
        // System.CommandLine must not install its own SIGTERM handling with a 2 s kill, which would cut the host's
        // graceful drain short.
        var parseResult = Parse(args);
        return SendCommand.RejectsUsage(parseResult)
            ? Task.FromResult(HostApp.ExitInvalidConfiguration)
            : parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    /// <summary>Parses <paramref name="args"/> as the host does; "@file" is a configuration value, not a response file.</summary>
    internal static ParseResult Parse(IReadOnlyList<string> args) =>
        Build().Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });

    internal static RootCommand Build()
    {
        var root = new RootCommand(
            "PluggableNet: a length-prefixed TCP server with pluggable business logic. Without a verb it runs in the foreground (as 'run'). "
            + OverridesHelp);

        var run = Verb("run", "Runs the host in the foreground until SIGTERM or Ctrl+C (the default). Writes a pidfile only when --pidfile or Service:PidFile is given.");
        var daemon = new Option<string?>(DaemonSession.DaemonOption) { Hidden = true, Description = "Set by 'start' for the background process: its console file." };
        run.Options.Add(daemon);
        run.SetAction((parseResult, _) => Forward(parseResult, arguments => HostApp.RunAsync(arguments, parseResult.GetValue(daemon) is not null)));

        // The root behaves as "run", with the same options.
        foreach (var option in SharedOptions())
        {
            root.Options.Add(option);
        }

        root.TreatUnmatchedTokensAsErrors = false;
        root.SetAction((parseResult, _) => Forward(parseResult, arguments => HostApp.RunAsync(arguments, daemon: false)));

        var start = Verb("start", "Starts the host in the background (its own session, output to the log file) and waits until it accepts connections. Exit 0 once it does, else the startup error's code.");
        var startTimeout = TimeoutOption(30, "How long to wait for the host to accept connections");
        start.Options.Add(startTimeout);
        start.SetAction((parseResult, _) => Forward(parseResult, arguments => DaemonLauncher.StartAsync(arguments, Seconds(parseResult.GetValue(startTimeout)))));

        var stop = Verb("stop", "Stops the background host: SIGTERM, then waits while it drains its connections. Exit 0 once it is gone (or was not running).");
        var stopTimeout = TimeoutOption(30, "How long to wait for the host to exit; keep it above Server:DrainTimeout");
        var force = new Option<bool>("--force") { Description = "Send SIGKILL if the host has not exited when the timeout runs out." };
        var stopPort = PortOption();
        stop.Options.Add(stopTimeout);
        stop.Options.Add(force);
        stop.Options.Add(stopPort);
        stop.SetAction((parseResult, _) => Forward(parseResult, arguments => ServiceController.StopAsync(arguments, Seconds(parseResult.GetValue(stopTimeout)), parseResult.GetValue(force), parseResult.GetValue(stopPort))));

        var restart = Verb("restart", "Stops the background host if it runs, then starts it again with the given configuration.");
        var restartTimeout = TimeoutOption(30, "How long to wait for each of the stop and the start");
        var restartForce = new Option<bool>("--force") { Description = "Send SIGKILL if the old host has not exited when the timeout runs out." };
        restart.Options.Add(restartTimeout);
        restart.Options.Add(restartForce);
        restart.SetAction((parseResult, _) => Forward(parseResult, arguments => ServiceController.RestartAsync(arguments, Seconds(parseResult.GetValue(restartTimeout)), parseResult.GetValue(restartForce))));

        var status = Verb("status", "Shows whether the host runs: pid, address, plugin and version, uptime, connections, swaps. Without --pidfile or Control:Socket it finds a host started in the foreground too. Exit 0 running, 1 dead with a stale pidfile, 2 several hosts (choose with --port), 3 not running, 4 not answering.");
        var json = new Option<bool>("--json") { Description = "Print the host's status as one JSON line." };
        var pluginsPath = new Option<bool>("--plugins-path") { Description = "Print only the running host's plugins folder (Logic:PluginsPath, resolved), e.g. for dotnet build -p:PluggableNetPluginsPath=\"$(... status --plugins-path)\"." };
        var statusPort = PortOption();
        status.Options.Add(json);
        status.Options.Add(pluginsPath);
        status.Options.Add(statusPort);
        status.SetAction((parseResult, _) => Forward(parseResult, arguments => ServiceController.StatusAsync(
            arguments,
            parseResult.GetValue(pluginsPath) ? ServiceController.StatusOutput.PluginsPath : parseResult.GetValue(json) ? ServiceController.StatusOutput.Json : ServiceController.StatusOutput.Text,
            parseResult.GetValue(statusPort))));

        var reload = Verb("reload", "Sends SIGHUP (the host re-reads its configuration files and reloads its plugin) and reports the plugin now serving. Non-zero if nothing was swapped in. A signal carries no settings: overrides other than those that locate the host (--pidfile, --port, --Service:*, --Control:*) are refused.");
        var reloadTimeout = TimeoutOption(10, "How long to wait for the new plugin generation");
        var reloadPort = PortOption();
        reload.Options.Add(reloadTimeout);
        reload.Options.Add(reloadPort);
        reload.SetAction((parseResult, _) => Forward(parseResult, arguments => ServiceController.ReloadAsync(arguments, Seconds(parseResult.GetValue(reloadTimeout)), parseResult.GetValue(reloadPort))));

        var upgrade = Verb("upgrade", "Replaces the running host with a new one without refusing a connection: the host starts the new binary (--binary, default its own program as it is on disk now) with the same arguments, which loads its configuration and plugin first and then takes the listening sockets over; the old host then drains and exits. Exit 0 once the new host serves; 1 if it failed (the old host serves on, and the reason is printed). SIGUSR2 does the same with the host's own program. See docs/upgrade.md.");
        var binary = new Option<string?>("--binary") { Description = "The new host's program: a PluggableNet.Host.dll (run with dotnet), an apphost or a wrapper script.", HelpName = "PATH" };
        var upgradeTimeout = TimeoutOption(30, "How long the new host may take to become ready and serve before the upgrade is abandoned");
        var upgradePort = PortOption();
        upgrade.Options.Add(binary);
        upgrade.Options.Add(upgradeTimeout);
        upgrade.Options.Add(upgradePort);
        upgrade.SetAction((parseResult, _) => Forward(parseResult, arguments => UpgradeVerb.RunAsync(arguments, parseResult.GetValue(binary), Seconds(parseResult.GetValue(upgradeTimeout)), parseResult.GetValue(upgradePort))));

        foreach (var verb in new[] { run, start, stop, restart, status, reload, upgrade })
        {
            root.Subcommands.Add(verb);
        }

        root.Subcommands.Add(SendCommand.Create());

        return root;
    }

    private static Option<string?> ConfigOption { get; } = new("--config") { Description = "A JSON configuration file applied over appsettings.json.", HelpName = "FILE" };

    private static Option<string?> PidFileOption { get; } = new("--pidfile")
    {
        Description = "The pidfile (Service:PidFile). Default $XDG_RUNTIME_DIR/pluggablenet/pluggablenet.pid, /run/pluggablenet/ for root, else ~/.local/state/pluggablenet/.",
        HelpName = "PATH",
    };

    private static IEnumerable<Option> SharedOptions() => [ConfigOption, PidFileOption];

    private static Command Verb(string name, string description)
    {
        var command = new Command(name, description + " " + OverridesHelp) { TreatUnmatchedTokensAsErrors = false };
        foreach (var option in SharedOptions())
        {
            command.Options.Add(option);
        }

        return command;
    }

    /// <summary>Which of several running hosts a verb acts on: the one listening on this TCP port.</summary>
    private static Option<int?> PortOption() => new("--port")
    {
        Description = "The host listening on this TCP port, when several run (status lists them).",
        HelpName = "PORT",
    };

    private static Option<double> TimeoutOption(double seconds, string description) => new("--timeout")
    {
        Description = $"{description}, in seconds.",
        DefaultValueFactory = _ => seconds,
        HelpName = "SECONDS",
    };

    private static TimeSpan Seconds(double seconds) => TimeSpan.FromSeconds(Math.Max(seconds, 0));

    /// <summary>The one place a parsed command line becomes <see cref="HostArguments"/>; null and an error for a bad one.</summary>
    internal static HostArguments? Arguments(ParseResult parseResult, out string? error) =>
        HostArguments.Create(parseResult.UnmatchedTokens, parseResult.GetValue(ConfigOption), parseResult.GetValue(PidFileOption), out error);

    private static async Task<int> Forward(ParseResult parseResult, Func<HostArguments, Task<int>> action)
    {
        var arguments = Arguments(parseResult, out var error);
        if (arguments is null)
        {
            await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
            return HostApp.ExitInvalidConfiguration;
        }

        return await action(arguments).ConfigureAwait(false);
    }
}
