using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// A real host kept running by a supervisor, as systemd keeps a service: a bash loop that starts the host again
/// whenever it exits (Restart=always), so a restart is "SIGTERM the host, the next one starts". With
/// <c>socketActivated</c> the loop runs under <c>systemd-socket-activate</c> (systemd's own tool), which binds the
/// port and passes it as fd 3 with the systemd environment contract; the loop holds that socket across restarts,
/// as systemd's .socket unit does, and gives each host its own <c>LISTEN_PID</c>. Without it each host binds the
/// port itself. The current host's pid is kept in <see cref="PidFile"/>; <see cref="RestartScript"/> restarts it
/// from a shell (what rolling-update.sh runs).
/// </summary>
internal sealed partial class SupervisedHost : IAsyncDisposable
{
    // Restart=always for the host (unless held); the pid goes to a file (for shell scripts) and to stdout (for the test).
    private const string Loop = """
        pidfile="$1"; shift
        while :; do
            ( [ -z "$LISTEN_FDS" ] || export LISTEN_PID=$BASHPID; exec "$@" ) &
            host=$!
            echo "$host" > "$pidfile.new" && mv "$pidfile.new" "$pidfile"
            echo "supervisor: host pid $host"
            wait "$host"; rc=$?
            echo "supervisor: host pid $host exited $rc"
            [ "$rc" -eq 0 ] || [ "$rc" -eq 143 ] || sleep 0.2
            while [ -e "$pidfile.hold" ]; do sleep 0.05; done
        done
        """;

    // SIGTERM to the current host (a graceful stop: drain, close at frame boundaries), then wait until the next one
    // answers a frame on its port. Exit 0 once the new host serves; 1 after 30 s.
    private const string Restart = """
        #!/usr/bin/env bash
        pidfile="$1"; port="$2"
        old="$(cat "$pidfile")"
        kill -TERM "$old" || exit 1
        for _ in $(seq 300); do
            new="$(cat "$pidfile" 2>/dev/null)"
            if [ -n "$new" ] && [ "$new" != "$old" ] && ! kill -0 "$old" 2>/dev/null \
                && (exec 5<>"/dev/tcp/127.0.0.1/$port" && printf '00001a' >&5 && read -r -t 2 -N 5 header <&5 && [[ $header =~ ^[0-9]{5}$ ]]) 2>/dev/null; then
                exit 0
            fi
            sleep 0.1
        done
        echo "restart: the host on port $port did not come back" >&2
        exit 1
        """;

    private readonly ChildProcess _supervisor;

    private SupervisedHost(ChildProcess supervisor, string folder, int port)
    {
        _supervisor = supervisor;
        Folder = folder;
        Port = port;
    }

    /// <summary>Its own temp folder: pidfile, restart script, control socket.</summary>
    public string Folder { get; }

    public int Port { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    public string PidFile => Path.Combine(Folder, "host.pid");

    /// <summary><c>restart.sh PIDFILE PORT</c>: restarts the current host and waits until the next one answers.</summary>
    public string RestartScript => Path.Combine(Folder, "restart.sh");

    public string RestartCommand => $"bash {RestartScript} {PidFile} {Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Everything the supervisor and its hosts printed.</summary>
    public string Output => _supervisor.Output + _supervisor.Error;

    /// <summary>How many hosts have printed their listening line so far.</summary>
    public int Starts => ListeningLines().Count();

    /// <summary>The exit codes of the hosts that have ended, in order.</summary>
    public IReadOnlyList<int> Exits => ExitLine().Matches(_supervisor.Output).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();

    public int CurrentPid => int.Parse(File.ReadAllText(PidFile).Trim(), CultureInfo.InvariantCulture);

    /// <summary>
    /// Starts the supervisor on a free loopback port and waits until the first host listens. With
    /// <paramref name="socketActivated"/>, the first connection (made here, as a client's would be) is what makes
    /// <c>systemd-socket-activate</c> start the host.
    /// </summary>
    public static async Task<SupervisedHost> StartAsync(string transport, bool socketActivated, IEnumerable<string>? arguments = null, int? port = null)
    {
        var folder = TestPaths.NewTempDirectory("pnet-supervised");
        var chosen = port ?? FreePort();
        await File.WriteAllTextAsync(Path.Combine(folder, "restart.sh"), Restart);
        List<string> host =
        [
            ChildProcess.Dotnet, TestPaths.HostDll, "run",
            "--Server:Address=127.0.0.1",
            $"--Server:Port={chosen}",
            $"--Server:Transport={transport}",
            "--Logic:HotReload=false",
            "--Server:DrainTimeout=00:00:05",
            $"--Control:Socket={Path.Combine(folder, "control.sock")}",
            .. arguments ?? [],
        ];
        List<string> loop = ["bash", "-c", Loop, "supervisor", Path.Combine(folder, "host.pid"), .. host];
        var supervisor = socketActivated
            ? ChildProcess.Start("systemd-socket-activate", ["-l", $"127.0.0.1:{chosen}", .. PassedEnvironment(), .. loop], workingDirectory: TestPaths.HostOutput, deadline: TimeSpan.FromMinutes(5))
            : ChildProcess.Start(loop[0], loop.Skip(1), workingDirectory: TestPaths.HostOutput, deadline: TimeSpan.FromMinutes(5));
        var started = new SupervisedHost(supervisor, folder, chosen);
        try
        {
            if (socketActivated)
            {
                await supervisor.WaitForOutputAsync("Listening on", Wait.Default);
                using var trigger = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await trigger.ConnectAsync(started.EndPoint);
            }

            await started.WaitForStartsAsync(1);
            return started;
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until <paramref name="count"/> hosts in all have printed their listening line.</summary>
    public Task WaitForStartsAsync(int count, TimeSpan? timeout = null) =>
        Wait.UntilAsync(() => Starts >= count, timeout ?? TimeSpan.FromSeconds(30), $"{count} host start(s); output: {Output}");

    /// <summary>While held, a host that ends is not started again (a crashed service that systemd has not restarted yet).</summary>
    public void Hold(bool held)
    {
        var path = PidFile + ".hold";
        if (held)
        {
            File.WriteAllText(path, string.Empty);
        }
        else
        {
            File.Delete(path);
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the current host (not to the supervisor).</summary>
    public void Signal(int signal) => Assert.Equal(0, kill(CurrentPid, signal));

    public async ValueTask DisposeAsync()
    {
        // The whole tree: the supervisor (SIGKILL: it starts no other host) and the host it runs.
        await _supervisor.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private IEnumerable<string> ListeningLines() =>
        Output.Split('\n').Where(l => l.Contains("PluggableNet listening on", StringComparison.Ordinal));

    // systemd-socket-activate passes only PATH, HOME, USER and TERM to its child; the runtime's own variables go with -E.
    private static IEnumerable<string> PassedEnvironment() =>
        Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal))
            .SelectMany(k => new[] { "-E", k });

    [System.Text.RegularExpressions.GeneratedRegex(@"supervisor: host pid \d+ exited (\d+)")]
    private static partial System.Text.RegularExpressions.Regex ExitLine();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
