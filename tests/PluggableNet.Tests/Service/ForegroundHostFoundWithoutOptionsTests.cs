using System.Text.Json;
using PluggableNet.Server;
using PluggableNet.Tests.Cli;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Service;

/// <summary>
/// A host started in the foreground with no options (as the README's tour starts it) opens a control socket named by
/// its port in <c>Control:Directory</c>, and <c>status</c>, <c>reload</c> and <c>stop</c> find it with no options;
/// with two such hosts they list both and act only on the one chosen with <c>--port</c>. Real processes, real signals.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ForegroundHostFoundWithoutOptionsTests : IDisposable
{
    // Not yet created: the host makes it, private.
    private readonly string _directory = Path.Combine(TestPaths.NewTempDirectory("pnet-fg"), "run", "pluggablenet");

    // Every process of this test (hosts and verbs) sees the same directory, and only this test's hosts are in it.
    private Dictionary<string, string> Environment => new() { ["PLUGGABLENET_Control__Directory"] = _directory };

    [LinuxFact]
    public async Task StatusReloadAndStopFindAForegroundHostAndAskWhichWhenThereAreTwo()
    {
        await using var first = await StartAsync();
        var firstPort = ListeningLine.Find(first.Output)!.Port;
        var socket = Path.Combine(_directory, $"{firstPort}.sock");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_directory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));

        var status = await VerbAsync("status");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains($"pid:          {first.Id}", status.Output, StringComparison.Ordinal);
        Assert.Contains($"control:      {socket}", status.Output, StringComparison.Ordinal);
        Assert.Contains($"plugins:      {TestPaths.BundledPlugins}", status.Output, StringComparison.Ordinal);

        var pluginsPath = await VerbAsync("status", "--plugins-path");
        Assert.Equal(TestPaths.BundledPlugins, pluginsPath.Output.Trim());
        var json = await VerbAsync("status", "--json");
        Assert.Equal(first.Id, JsonDocument.Parse(json.Output).RootElement.GetProperty("pid").GetInt32());

        var reload = await VerbAsync("reload");
        Assert.True(reload.ExitCode == 0, reload.ToString());
        Assert.Contains("reloaded: plugin Reverse version 1.0.0 (generation 2)", reload.Output, StringComparison.Ordinal);

        await using var second = await StartAsync();
        var secondPort = ListeningLine.Find(second.Output)!.Port;
        foreach (var verb in new[] { "status", "reload", "stop" })
        {
            var ambiguous = await VerbAsync(verb);
            Assert.True(ambiguous.ExitCode == 2, $"{verb}: {ambiguous}");
            Assert.Contains($"2 hosts are running; choose one with '{verb} --port PORT'", ambiguous.Error, StringComparison.Ordinal);
            Assert.Contains($"pid {first.Id}", ambiguous.Error, StringComparison.Ordinal);
            Assert.Contains($"pid {second.Id}", ambiguous.Error, StringComparison.Ordinal);
        }

        Assert.False(first.HasExited || second.HasExited, "an ambiguous verb acted on a host");
        var chosen = await VerbAsync("status", "--port", secondPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains($"pid:          {second.Id}", chosen.Output, StringComparison.Ordinal);

        var stop = await VerbAsync("stop", "--port", firstPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Equal(0, (await first.WaitAsync()).ExitCode);
        Assert.False(File.Exists(socket), "the socket of a host that exited is removed");
        Assert.False(second.HasExited);

        var last = await VerbAsync("stop");
        Assert.True(last.ExitCode == 0, last.ToString());
        Assert.Contains($"stopped (pid {second.Id})", last.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await second.WaitAsync()).ExitCode);

        var none = await VerbAsync("status");
        Assert.Equal(3, none.ExitCode);
        Assert.Equal("not running", none.Output.Trim());
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [LinuxFact]
    public async Task ASocketThatAnswersForAnotherPidIsNotTrusted()
    {
        // A real host, reachable only by its own socket elsewhere: the verbs must not find it through the directory.
        var elsewhere = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(_directory))!, "real.sock");
        var (started, _) = await CliSandbox.StartForegroundAsync(["--Server:Address=127.0.0.1", "--Server:Port=0", $"--Control:Socket={elsewhere}"], Environment);
        await using var real = started;
        // The control socket opens just after the listening line.
        ServerStatus? status = null;
        await Wait.UntilAsync(async () => (status = await Host.Control.ControlChannel.QueryAsync(elsewhere, TimeSpan.FromSeconds(5))) is not null, because: "the real host answers on its own socket");

        // Another process (this test) answers in the directory with the real host's status, pid included.
        Directory.CreateDirectory(_directory);
        var forged = Path.Combine(_directory, "1.sock");
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(forged));
        listener.Listen();
        using var stopServing = new CancellationTokenSource();
        var serving = Task.Run(async () =>
        {
            var line = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(status) + "\n");
            while (!stopServing.IsCancellationRequested)
            {
                using var client = await listener.AcceptAsync(stopServing.Token);
                await client.SendAsync(line, System.Net.Sockets.SocketFlags.None);
            }
        });

        var stop = await VerbAsync("stop");
        var found = await VerbAsync("status");
        await stopServing.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => serving);

        Assert.Contains("not running", stop.Output, StringComparison.Ordinal);
        Assert.False(real.HasExited, $"stop signalled the pid a forged status named: {stop}");
        Assert.Equal(3, found.ExitCode);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path.GetDirectoryName(Path.GetDirectoryName(_directory))!, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }

    private async Task<HostProcess> StartAsync()
    {
        var (host, _) = await CliSandbox.StartForegroundAsync(["--Server:Address=127.0.0.1", "--Server:Port=0", "--Logic:HotReload=false"], Environment);
        try
        {
            await host.WaitForOutputAsync("Control socket ");
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    private async Task<HostResult> VerbAsync(params string[] arguments)
    {
        await using var verb = HostProcess.Start(arguments, Environment);
        return await verb.WaitAsync();
    }
}
