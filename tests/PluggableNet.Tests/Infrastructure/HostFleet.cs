using System.Globalization;
using System.Text;
using PluggableNet.Tests.HotSwap;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// Three real hosts (host1..host3) on free loopback ports, each under its own supervisor (Restart=always) and with
/// its own plugins folder serving the compiled <c>HotSwap</c> plugin v1 (answers <c>A:request</c>), behind a real
/// HAProxy running the shipped haproxy.cfg. <see cref="RollAsync"/> runs the shipped rolling-update.sh against it
/// with one of two update commands: <see cref="PluginUpdateCommand"/> (drops v2, answering <c>B:request</c>, into
/// the server's plugins folder and waits until that host answers with it) or <see cref="RestartCommand"/> (stops the
/// host with SIGTERM and waits until its successor answers).
/// </summary>
internal sealed class HostFleet : IAsyncDisposable
{
    public const string V1 = "A:";
    public const string V2 = "B:";

    private const string DeployPlugin = """
        #!/usr/bin/env bash
        # deploy-plugin.sh SERVER: an atomic deploy of v2 (write beside, rename over), then wait until it answers.
        set -u
        dir="$(dirname "$0")"; server="$1"
        port="$(cat "$dir/$server.port")"
        cp "$dir/v2/HotSwap.dll" "$dir/$server/plugins/.staging.dll"
        mv -f "$dir/$server/plugins/.staging.dll" "$dir/$server/plugins/HotSwap/HotSwap.dll"
        for _ in $(seq 300); do
            if (exec 5<>"/dev/tcp/127.0.0.1/$port" && printf '00001a' >&5 && read -r -t 2 -N 8 answer <&5 && [ "$answer" = "00003B:a" ]) 2>/dev/null; then
                exit 0
            fi
            sleep 0.1
        done
        echo "deploy-plugin: $server did not answer with v2" >&2
        exit 1
        """;

    private const string RestartHost = """
        #!/usr/bin/env bash
        # restart-host.sh SERVER: what `ssh SERVER systemctl restart pluggablenet` does on a real fleet.
        dir="$(dirname "$0")"
        exec bash "$dir/$1.restart"
        """;

    private readonly List<SupervisedHost> _hosts = [];

    private HostFleet(string folder) => Folder = folder;

    public string Folder { get; }

    public IReadOnlyList<SupervisedHost> Hosts => _hosts;

    public static IReadOnlyList<string> Names { get; } = ["host1", "host2", "host3"];

    public HaproxyProcess Haproxy { get; private set; } = null!;

    public string PluginUpdateCommand => $"bash {Path.Combine(Folder, "deploy-plugin.sh")} {{server}}";

    public string RestartCommand => $"bash {Path.Combine(Folder, "restart-host.sh")} {{server}}";

    /// <summary>Which version answered: "v1", "v2", or null when the answer is neither version's exact answer.</summary>
    public static string? Version(string request, string answer) =>
        answer == V1 + request ? "v1" : answer == V2 + request ? "v2" : null;

    public static async Task<HostFleet> StartAsync(string transport = "Epoll")
    {
        var fleet = new HostFleet(TestPaths.NewTempDirectory("pnet-fleet"));
        try
        {
            Directory.CreateDirectory(Path.Combine(fleet.Folder, "v2"));
            await File.WriteAllBytesAsync(Path.Combine(fleet.Folder, "v2", "HotSwap.dll"), HotSwapPlugins.V2);
            await File.WriteAllTextAsync(Path.Combine(fleet.Folder, "deploy-plugin.sh"), DeployPlugin);
            await File.WriteAllTextAsync(Path.Combine(fleet.Folder, "restart-host.sh"), RestartHost);
            var starts = Names.Select(async name =>
            {
                var plugins = Directory.CreateDirectory(Path.Combine(fleet.Folder, name, "plugins", HotSwapPlugins.Name)).Parent!.FullName;
                await File.WriteAllBytesAsync(Path.Combine(plugins, HotSwapPlugins.Name, HotSwapPlugins.Name + ".dll"), HotSwapPlugins.V1);
                return await SupervisedHost.StartAsync(transport, socketActivated: false, [
                    $"--Logic:PluginsPath={plugins}",
                    $"--Logic:Plugin={HotSwapPlugins.Name}",
                    "--Logic:HotReload=true",
                ]);
            }).ToList();
            foreach (var start in starts)
            {
                fleet._hosts.Add(await start);
            }

            for (var i = 0; i < Names.Count; i++)
            {
                var host = fleet._hosts[i];
                await File.WriteAllTextAsync(Path.Combine(fleet.Folder, Names[i] + ".port"), host.Port.ToString(CultureInfo.InvariantCulture));
                await File.WriteAllTextAsync(Path.Combine(fleet.Folder, Names[i] + ".restart"), host.RestartCommand + "\n");
            }

            fleet.Haproxy = await HaproxyProcess.StartAsync(Names.Select((n, i) => (n, fleet._hosts[i].Port)).ToList());
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs deploy/haproxy/rolling-update.sh over every server with <paramref name="update"/>; returns its exit code and output.</summary>
    public async Task<(int ExitCode, string Output)> RollAsync(string update, params string[] extra)
    {
        await using var script = ChildProcess.Start(
            "bash",
            [HaproxyProcess.RollingUpdateScript, "--socket", Haproxy.Socket, "--backend", HaproxyProcess.Backend, "--update", update, "--drain-wait", "1", "--ready-timeout", "30", .. extra, .. Names]);
        var exitCode = await script.WaitForExitAsync(TimeSpan.FromSeconds(150));
        return (exitCode, script.Output + script.Error);
    }

    /// <summary>Asks each host directly (not through HAProxy) and returns what it answers to <paramref name="request"/>.</summary>
    public async Task<IReadOnlyList<string>> AskEachAsync(string request)
    {
        var answers = new List<string>();
        foreach (var host in _hosts)
        {
            using var client = FrameClient.Connect(host.EndPoint);
            answers.Add(await client.AskAsync(request));
        }

        return answers;
    }

    public async ValueTask DisposeAsync()
    {
        if (Haproxy is not null)
        {
            await Haproxy.DisposeAsync();
        }

        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    public override string ToString() => new StringBuilder().AppendJoin(Environment.NewLine, _hosts.Select((h, i) => $"--- {Names[i]}:{Environment.NewLine}{h.Output}")).ToString();
}
