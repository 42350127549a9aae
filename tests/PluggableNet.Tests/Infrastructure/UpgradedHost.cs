using System.Net;
using PluggableNet.Host.Control;
using PluggableNet.Server;
using PluggableNet.Server.Interop;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// A <see cref="RunningHost"/> that may be upgraded: runs the real <c>upgrade</c> verb against it, writes the "other
/// builds" tests upgrade to (wrapper scripts that exec the host with something changed), and on dispose kills every
/// host that took over (they are no longer the test's child processes) before the first one is disposed.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class UpgradedHost : IAsyncDisposable
{
    private readonly HashSet<int> _seen = [];

    private UpgradedHost(RunningHost first, string folder)
    {
        First = first;
        Folder = folder;
    }

    /// <summary>The host the test started (after an upgrade, the one that drained and exited).</summary>
    public RunningHost First { get; }

    /// <summary>A private folder for scripts.</summary>
    public string Folder { get; }

    public IPEndPoint EndPoint => First.EndPoint;

    public static async Task<UpgradedHost> StartAsync(string transport, IEnumerable<string>? arguments = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var first = await RunningHost.StartAsync(transport, ["--Server:DrainTimeout=00:00:05", .. arguments ?? []], environment: environment);
        return new UpgradedHost(first, TestPaths.NewTempDirectory("pnet-upg"));
    }

    /// <summary><c>upgrade --Control:Socket … [--binary PATH] --timeout SECONDS</c>, as an operator types it.</summary>
    public async Task<HostResult> UpgradeAsync(string? binary = null, double timeoutSeconds = 30)
    {
        List<string> arguments = ["upgrade", $"--Control:Socket={First.ControlSocket}", "--timeout", timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        if (binary is not null)
        {
            arguments.AddRange(["--binary", binary]);
        }

        var result = await HostProcess.RunAsync(arguments, TimeSpan.FromSeconds(timeoutSeconds + 30));
        if (await StatusAsync() is { } status)
        {
            _seen.Add(status.Pid);
        }

        return result;
    }

    /// <summary>The status of whichever host answers on the control socket now (null when none does).</summary>
    public Task<ServerStatus?> StatusAsync() => ControlChannel.QueryAsync(First.ControlSocket, TimeSpan.FromSeconds(2));

    /// <summary>Waits for a host other than <paramref name="notPid"/> to answer on the control socket.</summary>
    public async Task<ServerStatus> ServingAsync(Func<ServerStatus, bool> condition)
    {
        ServerStatus? status = null;
        await Wait.UntilAsync(async () => (status = await StatusAsync()) is not null && condition(status), TimeSpan.FromSeconds(20), "the control socket to answer as expected; last " + status);
        _seen.Add(status!.Pid);
        return status!;
    }

    /// <summary>A build that runs this host with <paramref name="environment"/> lines first (e.g. another plugin): a wrapper script.</summary>
    public string Build(string name, params string[] environment) =>
        Script(name, string.Join('\n', environment.Select(e => "export " + e)) + $"\nexec \"{ChildProcess.Dotnet}\" \"{TestPaths.HostDll}\" \"$@\"");

    /// <summary>An executable <c>/bin/sh</c> script with <paramref name="body"/>.</summary>
    public string Script(string name, string body)
    {
        var path = Path.Combine(Folder, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>Remembers a pid to kill at the end (a host that took over).</summary>
    public void Track(int pid) => _seen.Add(pid);

    public async ValueTask DisposeAsync()
    {
        if (await StatusAsync() is { } status)
        {
            _seen.Add(status.Pid);
        }

        foreach (var pid in _seen.Where(p => p != First.Process.Id))
        {
            Libc.kill(pid, Libc.SIGKILL);
        }

        await First.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
