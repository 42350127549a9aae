using System.Text.RegularExpressions;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Cli;

/// <summary>
/// <c>start</c>, <c>status</c>, <c>reload</c>, <c>restart</c> and <c>stop</c>, each given <c>--config</c> and overrides together. The
/// file names a decoy pidfile and the overrides the real one, so a verb that lost an override would look for the
/// host in the wrong place (or start it there).
/// </summary>
public sealed partial class DaemonVerbsTests
{
    [LinuxFact]
    public async Task EveryVerbTakesTheConfigFileAndOverridesTogether()
    {
        await using var service = new ServiceSandbox();
        var decoy = Path.Combine(service.Directory, "decoy.pid");
        using var sandbox = new CliSandbox(address: "0.0.0.0", plugin: "Upper", extraJson: $$"""
            "Service": { "PidFile": "{{decoy}}" }
            """);
        try
        {
            var start = await HostProcess.RunAsync(
                ["start", "--config", sandbox.ConfigFile, $"--Service:PidFile={service.PidFile}", "--Server:Port=0", "--Server:Address=127.0.0.1"]);
            service.Remember();
            Assert.True(start.ExitCode == 0, start.ToString());
            Assert.True(File.Exists(service.PidFile), "the daemon holds the pidfile the override names");
            Assert.False(File.Exists(decoy), "not the pidfile the file names");
            var started = StartedPattern().Match(start.Output);
            Assert.True(started.Success, start.ToString());
            var port = int.Parse(started.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.NotEqual(sandbox.FilePort, port);

            var status = await HostProcess.RunAsync(["status", "--Service:PidFile", service.PidFile, "--config=" + sandbox.ConfigFile]);
            Assert.True(status.ExitCode == 0, status.ToString());
            Assert.Contains($"listening:    127.0.0.1:{port}", status.Output, StringComparison.Ordinal);
            Assert.Contains("plugin:       Upper 1.0.0", status.Output, StringComparison.Ordinal);
            await CliSandbox.AssertAnswersAsync(port, "Upper");

            var reload = await HostProcess.RunAsync(["reload", "--config", sandbox.ConfigFile, "--Service:PidFile=" + service.PidFile]);
            Assert.True(reload.ExitCode == 0, reload.ToString());
            Assert.Contains("reloaded: plugin Upper version 1.0.0 (generation 2)", reload.Output, StringComparison.Ordinal);
            await CliSandbox.AssertAnswersAsync(port, "Upper");

            var restart = await HostProcess.RunAsync(
                ["restart", "--Service:PidFile=" + service.PidFile, "--Server:Port=0", "--config=" + sandbox.ConfigFile, "--Logic:Plugin", "Reverse", "--Server:Address=127.0.0.1"]);
            service.Remember();
            Assert.True(restart.ExitCode == 0, restart.ToString());
            var restarted = StartedPattern().Match(restart.Output);
            Assert.True(restarted.Success, restart.ToString());
            port = int.Parse(restarted.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.NotEqual(sandbox.FilePort, port);
            Assert.False(File.Exists(decoy), "not the pidfile the file names");
            await CliSandbox.AssertAnswersAsync(port, "Reverse");

            var stop = await HostProcess.RunAsync(["stop", "--Service:PidFile=" + service.PidFile, "--config=" + sandbox.ConfigFile, "--Server:Port=0"]);
            Assert.True(stop.ExitCode == 0, stop.ToString());
            Assert.StartsWith("stopped", stop.Output, StringComparison.Ordinal);
            Assert.False(File.Exists(service.PidFile), "the host removed its pidfile on the way out");
        }
        finally
        {
            await KillIfRunningAsync(decoy);
        }
    }

    [LinuxFact]
    public async Task ReloadRefusesOverridesItCannotDeliver()
    {
        await using var service = new ServiceSandbox();
        using var sandbox = new CliSandbox(address: "127.0.0.1", plugin: "Reverse");
        var start = await HostProcess.RunAsync(["start", "--config", sandbox.ConfigFile, "--pidfile", service.PidFile, "--Server:Port=0"]);
        service.Remember();
        Assert.True(start.ExitCode == 0, start.ToString());
        var before = await service.StatusAsync();
        Assert.NotNull(before);

        var reload = await HostProcess.RunAsync(["reload", "--config", sandbox.ConfigFile, "--pidfile", service.PidFile, "--Logic:Plugin=Upper"]);

        Assert.True(reload.ExitCode == 2, reload.ToString());
        Assert.Contains("--Logic:Plugin", reload.Error, StringComparison.Ordinal);
        // ... and says how to do it instead: the watched --config file.
        Assert.Contains("Put them in the file the host was started with --config FILE (it is watched", reload.Error, StringComparison.Ordinal);
        var after = await service.StatusAsync();
        Assert.NotNull(after);
        Assert.Equal(before.Generation, after.Generation);
        Assert.Equal("Reverse", after.Plugin);
        await CliSandbox.AssertAnswersAsync(after.Port, "Reverse");

        var stop = await HostProcess.RunAsync(["stop", "--pidfile", service.PidFile]);
        Assert.True(stop.ExitCode == 0, stop.ToString());
    }

    /// <summary>A host that a buggy verb started on the decoy pidfile must not outlive the test.</summary>
    private static async Task KillIfRunningAsync(string pidFile)
    {
        if (Host.Service.PidFile.ReadPid(pidFile) is { } pid && Host.Service.HostProcessProbe.IsRunningHost(pid))
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
            await Wait.UntilAsync(() => !Host.Service.HostProcessProbe.IsAlive(pid), TimeSpan.FromSeconds(10), "decoy host exits");
        }
    }

    [GeneratedRegex(@"started, pid \d+, listening on 127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex StartedPattern();
}
