using System.Globalization;
using System.Text;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Upgrade;

/// <summary>
/// The measured run, short in CI: upgrades in a row alternating two builds whose plugins answer differently
/// (Reverse, then Upper: rollback is the same operation with the previous build), under 16 clients pipelining on
/// persistent connections. Each answer must be wholly one build's, no connect refused, no request lost. With
/// <c>PLUGGABLENET_UPGRADE_ROUNDS</c> (default 4) and <c>PLUGGABLENET_UPGRADE_RESULTS</c> (a file) it is the bench of
/// bench/results/upgrade: each upgrade's longest client pause, the surviving host's descriptors and memory.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UpgradesInARowTests(ITestOutputHelper output)
{
    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task UpgradesInARowAlternatingTwoBuildsRefuseNothingAndEachAnswerIsOneBuilds(string transport)
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("PLUGGABLENET_UPGRADE_ROUNDS"), out var r) ? r : 4;
        await using var host = await UpgradedHost.StartAsync(transport);
        var builds = new[] { host.Build("build-upper", "PLUGGABLENET_Logic__Plugin=Upper"), host.Build("build-reverse", "PLUGGABLENET_Logic__Plugin=Reverse") };
        await using var load = ReconnectingLoad.Start(host.EndPoint, connections: 16, depth: 4, (request, answer) => answer == Reverse(request) || answer == request.ToUpperInvariant());
        await load.AnswersGrowAsync(500);
        load.TakeLongestGapMs();

        var lines = new StringBuilder();
        var pauses = new List<long>();
        var pid = (await host.ServingAsync(_ => true)).Pid;
        for (var round = 0; round < rounds; round++)
        {
            var build = builds[round % 2];
            var started = Environment.TickCount64;
            var result = await host.UpgradeAsync(build);
            var upgradeMs = Environment.TickCount64 - started;
            Assert.True(result.ExitCode == 0, $"round {round + 1}: {result}");
            var status = await host.ServingAsync(s => s.Pid != pid);
            pid = status.Pid;

            // A new connection is answered by the new build only.
            using (var client = FrameClient.Connect(host.EndPoint))
            {
                Assert.Equal(round % 2 == 0 ? "ABC" : "cba", await client.AskAsync("abc"));
            }

            await load.AnswersGrowAsync(500);
            var pauseEnded = load.LongestGapEndedUnixMs;
            var pause = load.TakeLongestGapMs();
            pauses.Add(pause);
            var line = string.Create(CultureInfo.InvariantCulture, $"{transport} round {round + 1}: {Path.GetFileName(build)} pid {pid}, upgrade {upgradeMs} ms, longest client pause {pause} ms (ended at unix ms {pauseEnded}), descriptors {status.DescriptorsInUse}, rss {RssKb(pid)} kB, requests {status.Requests}");
            output.WriteLine(line);
            lines.AppendLine(line);
        }

        await load.StopAsync();

        // Where each move's time went, as the old hosts logged it (they all write to the first host's output).
        foreach (var moved in host.First.Process.Output.Split('\n').Where(l => l.Contains("connection(s) moved; first sent at", StringComparison.Ordinal)))
        {
            lines.AppendLine(transport + " " + moved.Trim());
        }

        pauses.Sort();
        var summary = string.Create(CultureInfo.InvariantCulture, $"{transport}: {rounds} upgrades; longest pause {pauses[^1]} ms, median {pauses[pauses.Count / 2]} ms; {load}");
        output.WriteLine(summary);
        lines.AppendLine(summary);
        if (Environment.GetEnvironmentVariable("PLUGGABLENET_UPGRADE_RESULTS") is { Length: > 0 } file)
        {
            await File.AppendAllTextAsync(file, lines.ToString());
        }

        Assert.True(load.Refused == 0 && load.Failed == 0 && load.Wrong == 0, load.ToString());
    }

    /// <summary>
    /// The same-run baseline of the bench (<c>PLUGGABLENET_UPGRADE_BASELINE_ROUNDS</c>, default 0: skipped in CI): what
    /// the upgrade replaces, a <c>systemctl restart</c> with socket activation (SIGTERM, drain, the next host starts on
    /// the socket the supervisor holds), under the same load; each restart's longest client pause.
    /// </summary>
    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task RestartsWithSocketActivationUnderTheSameLoadBaseline(string transport)
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("PLUGGABLENET_UPGRADE_BASELINE_ROUNDS"), out var r) ? r : 0;
        if (rounds <= 0)
        {
            return;
        }

        await using var host = await SupervisedHost.StartAsync(transport, socketActivated: true);
        await using var load = ReconnectingLoad.Start(host.EndPoint, connections: 16, depth: 4, (request, answer) => answer == Reverse(request));
        await load.AnswersGrowAsync(500);
        load.TakeLongestGapMs();
        var lines = new StringBuilder();
        var pauses = new List<long>();
        for (var round = 0; round < rounds; round++)
        {
            var started = Environment.TickCount64;
            await using (var restart = ChildProcess.Start("bash", ["-c", host.RestartCommand]))
            {
                Assert.Equal(0, await restart.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            }

            var restartMs = Environment.TickCount64 - started;
            await load.AnswersGrowAsync(500);
            var pause = load.TakeLongestGapMs();
            pauses.Add(pause);
            var line = string.Create(CultureInfo.InvariantCulture, $"{transport} baseline restart {round + 1}: pid {host.CurrentPid}, restart {restartMs} ms, longest client pause {pause} ms");
            output.WriteLine(line);
            lines.AppendLine(line);
        }

        await load.StopAsync();
        pauses.Sort();
        var summary = string.Create(CultureInfo.InvariantCulture, $"{transport} baseline (restart with socket activation): {rounds} restarts; longest pause {pauses[^1]} ms, median {pauses[pauses.Count / 2]} ms; {load}");
        output.WriteLine(summary);
        lines.AppendLine(summary);
        if (Environment.GetEnvironmentVariable("PLUGGABLENET_UPGRADE_RESULTS") is { Length: > 0 } file)
        {
            await File.AppendAllTextAsync(file, lines.ToString());
        }

        Assert.True(load.Failed == 0 && load.Wrong == 0, load.ToString());
    }

    private static long RssKb(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? -1 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static string Reverse(string text) => new([.. text.Reverse()]);
}
