using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Service;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Interop;
using PluggableNet.Server.Reload;

namespace PluggableNet.Host.Cli;

/// <summary>
/// <c>stop</c>, <c>status</c>, <c>reload</c> and <c>restart</c>: the operator's side of a running host, found
/// through its pidfile and control socket. Exit codes follow the LSB init-script conventions.
/// </summary>
internal static class ServiceController
{
    /// <summary>LSB status: running.</summary>
    public const int StatusRunning = 0;

    /// <summary>LSB status: not running, but a pidfile is left behind.</summary>
    public const int StatusDeadWithPidFile = 1;

    /// <summary>LSB status: not running.</summary>
    public const int StatusNotRunning = 3;

    /// <summary>LSB status: unknown (a live host that does not answer on its control socket).</summary>
    public const int StatusUnknown = 4;

    /// <summary>LSB action result: the program is not running.</summary>
    public const int ActionNotRunning = 7;

    /// <summary>What <c>status</c> prints for a running host.</summary>
    public enum StatusOutput
    {
        /// <summary>Several lines for a person.</summary>
        Text,

        /// <summary><c>--json</c>: the status as one JSON line.</summary>
        Json,

        /// <summary><c>--plugins-path</c>: only the host's plugins folder, for a script.</summary>
        PluginsPath,
    }

    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan s_queryTimeout = TimeSpan.FromSeconds(2);

    /// <summary>SIGTERM, then wait for the drain to finish and the process to exit. SIGKILL only when forced.</summary>
    public static async Task<int> StopAsync(HostArguments arguments, TimeSpan timeout, bool force, int? port = null, bool discover = true)
    {
        if (ServiceCommand.Load(arguments) is not { Service: var service })
        {
            return HostApp.ExitInvalidConfiguration;
        }

        var found = await HostLocator.FindAsync(service, port, discover).ConfigureAwait(false);
        if (found.Count > 1)
        {
            await Console.Error.WriteLineAsync(HostLocator.DescribeChoice(found, "stop")).ConfigureAwait(false);
            return HostApp.ExitInvalidConfiguration;
        }

        int pid;
        if (found.Count == 1 && HostProcessProbe.IsRunningHost(found[0].Status.Pid))
        {
            // Found by its control socket: a foreground host has no pidfile, and the socket names the pid.
            pid = found[0].Status.Pid;
        }
        else if (port is not null || PidFile.ReadPid(service.PidFile) is not { } pidFromFile)
        {
            Console.WriteLine(port is null ? $"not running (no pidfile at {service.PidFile})" : $"not running (no host answers for port {port})");
            return HostApp.ExitOk;
        }
        else if (!HostProcessProbe.IsRunningHost(pidFromFile))
        {
            var removed = PidFile.TryRemoveStale(service.PidFile);
            Console.WriteLine($"not running (stale pidfile {service.PidFile} for pid {pidFromFile}{(removed ? " removed" : string.Empty)})");
            return HostApp.ExitOk;
        }
        else
        {
            pid = pidFromFile;
        }

        if (Libc.kill(pid, Libc.SIGTERM) != 0 && Libc.LastError != Libc.ESRCH)
        {
            await Console.Error.WriteLineAsync($"cannot signal pid {pid}: {Libc.Describe(Libc.LastError)}").ConfigureAwait(false);
            return 1;
        }

        if (await WaitForExitAsync(pid, timeout).ConfigureAwait(false))
        {
            // The host removes its own pidfile after the drain; this only catches a host that died meanwhile.
            PidFile.TryRemoveStale(service.PidFile);
            Console.WriteLine($"stopped (pid {pid})");
            return HostApp.ExitOk;
        }

        if (!force)
        {
            await Console.Error.WriteLineAsync(
                $"pid {pid} did not stop within {Seconds(timeout)} s and is still running; use --force to kill it").ConfigureAwait(false);
            return 1;
        }

        Libc.kill(pid, Libc.SIGKILL);
        if (!await WaitForExitAsync(pid, TimeSpan.FromSeconds(5)).ConfigureAwait(false))
        {
            await Console.Error.WriteLineAsync($"pid {pid} survived SIGKILL").ConfigureAwait(false);
            return 1;
        }

        PidFile.TryRemoveStale(service.PidFile);
        Console.WriteLine($"stopped (pid {pid} killed: it did not stop within {Seconds(timeout)} s)");
        return HostApp.ExitOk;
    }

    /// <summary>Asks the host over its control socket; falls back to the pidfile to tell "dead" from "hung".</summary>
    public static async Task<int> StatusAsync(HostArguments arguments, StatusOutput output, int? port = null)
    {
        if (ServiceCommand.Load(arguments) is not { Service: var service })
        {
            return HostApp.ExitInvalidConfiguration;
        }

        var found = await HostLocator.FindAsync(service, port).ConfigureAwait(false);
        if (found.Count > 1)
        {
            await Console.Error.WriteLineAsync(HostLocator.DescribeChoice(found, "status")).ConfigureAwait(false);
            return HostApp.ExitInvalidConfiguration;
        }

        if (found.Count == 1)
        {
            var status = found[0].Status;
            Console.WriteLine(output switch
            {
                StatusOutput.Json => JsonSerializer.Serialize(status, HostStatusJson.Default.ServerStatus),
                StatusOutput.PluginsPath => status.PluginsPath,
                _ => StatusText.Describe(status, found[0].ControlSocket),
            });
            return StatusRunning;
        }

        // From here on nothing is printed on stdout for --plugins-path: a script's $(…) must not take a message for a folder.
        var report = output == StatusOutput.PluginsPath ? Console.Error : Console.Out;
        var pid = port is null ? PidFile.ReadPid(service.PidFile) : null;
        if (pid is null)
        {
            await report.WriteLineAsync(port is null ? "not running" : $"not running (no host answers for port {port})").ConfigureAwait(false);
            return StatusNotRunning;
        }

        if (HostProcessProbe.IsRunningHost(pid.Value))
        {
            await report.WriteLineAsync($"pid {pid} is running but does not answer on {service.ControlSocket} (starting, stopping or hung)").ConfigureAwait(false);
            return StatusUnknown;
        }

        await report.WriteLineAsync($"not running (stale pidfile {service.PidFile} for pid {pid}; the next start replaces it)").ConfigureAwait(false);
        return StatusDeadWithPidFile;
    }

    /// <summary>SIGHUP, then watch the plugin generation: it changes only when the reload swapped something in.</summary>
    public static async Task<int> ReloadAsync(HostArguments arguments, TimeSpan timeout, int? port = null)
    {
        if (Undeliverable(arguments) is { Count: > 0 } refused)
        {
            await Console.Error.WriteLineAsync(
                $"reload cannot change the running host's settings: a SIGHUP carries none, so {string.Join(", ", refused)} would be ignored. "
                + "Put them in the file the host was started with --config FILE (it is watched, so a change applies live; reload re-reads it) or use restart. "
                + "reload accepts only what locates the host: --config, --pidfile, --port, --Service:*, --Control:*.").ConfigureAwait(false);
            return HostApp.ExitInvalidConfiguration;
        }

        if (ServiceCommand.Load(arguments) is not { Service: var service })
        {
            return HostApp.ExitInvalidConfiguration;
        }

        var found = await HostLocator.FindAsync(service, port).ConfigureAwait(false);
        if (found.Count > 1)
        {
            await Console.Error.WriteLineAsync(HostLocator.DescribeChoice(found, "reload")).ConfigureAwait(false);
            return HostApp.ExitInvalidConfiguration;
        }

        if (found.Count == 0 || !HostProcessProbe.IsRunningHost(found[0].Status.Pid))
        {
            if (port is null && PidFile.ReadPid(service.PidFile) is { } hung && HostProcessProbe.IsRunningHost(hung))
            {
                // Without a status before the signal there is nothing to compare the outcome with.
                await Console.Error.WriteLineAsync($"pid {hung} does not answer on {service.ControlSocket}; not reloading").ConfigureAwait(false);
                return 1;
            }

            await Console.Error.WriteLineAsync("not running").ConfigureAwait(false);
            return ActionNotRunning;
        }

        var (socket, before) = (found[0].ControlSocket, found[0].Status);
        var pid = before.Pid;

        if (Libc.kill(pid, Libc.SIGHUP) != 0)
        {
            await Console.Error.WriteLineAsync($"cannot signal pid {pid}: {Libc.Describe(Libc.LastError)}").ConfigureAwait(false);
            return 1;
        }

        var deadline = Stopwatch.GetTimestamp() + Ticks(timeout);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(s_poll).ConfigureAwait(false);
            var now = await ControlChannel.QueryAsync(socket, s_queryTimeout).ConfigureAwait(false);
            if (now is not null && now.Generation != before.Generation)
            {
                Console.WriteLine($"reloaded: plugin {now.Plugin} version {now.PluginVersion} (generation {now.Generation})");
                return HostApp.ExitOk;
            }

            if (now is not null && now.FailedSwaps > before.FailedSwaps)
            {
                await Console.Error.WriteLineAsync(
                    $"reload failed, plugin {now.Plugin} version {now.PluginVersion} (generation {now.Generation}) keeps serving: {now.LastSwapError ?? "see the host's log"}").ConfigureAwait(false);
                return 1;
            }

            if (now is null && !HostProcessProbe.IsAlive(pid))
            {
                await Console.Error.WriteLineAsync($"reload failed: pid {pid} exited after SIGHUP").ConfigureAwait(false);
                return 1;
            }
        }

        await Console.Error.WriteLineAsync(
            $"reload failed: still plugin {before.Plugin} version {before.PluginVersion} (generation {before.Generation}) after {Seconds(timeout)} s; the host's log says why").ConfigureAwait(false);
        return 1;
    }

    /// <summary><c>stop</c> (if running), then <c>start</c> with the same arguments.</summary>
    public static async Task<int> RestartAsync(HostArguments arguments, TimeSpan timeout, bool force)
    {
        // The background host only: restart starts a background host, so it never stops a foreground one it happens to find.
        var stopped = await StopAsync(arguments, timeout, force, port: null, discover: false).ConfigureAwait(false);
        return stopped != HostApp.ExitOk ? stopped : await DaemonLauncher.StartAsync(arguments, timeout).ConfigureAwait(false);
    }

    /// <summary>The overrides that would change the host rather than tell <c>reload</c> where the host is.</summary>
    private static List<string> Undeliverable(HostArguments arguments) =>
        [.. arguments.Overrides
            .Where(pair => !pair.Key.StartsWith("Service:", StringComparison.OrdinalIgnoreCase)
                && !pair.Key.StartsWith("Control:", StringComparison.OrdinalIgnoreCase))
            .Select(pair => $"--{pair.Key}={pair.Value}")];

    private static async Task<bool> WaitForExitAsync(int pid, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + Ticks(timeout);
        while (HostProcessProbe.IsAlive(pid))
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }

            await Task.Delay(s_poll).ConfigureAwait(false);
        }

        return true;
    }

    private static long Ticks(TimeSpan timeout) => (long)(timeout.TotalSeconds * Stopwatch.Frequency);

    private static string Seconds(TimeSpan timeout) => timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
}
