using System.Text.RegularExpressions;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Isolation;

/// <summary>Issue 24, point 4: a worker never outlives its host, even one killed with SIGKILL (no cleanup code runs).</summary>
public sealed partial class ProcessIsolationHostKillTests
{
    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ASigkilledHostLeavesNoWorker(string transport)
    {
        await using var host = await RunningHost.StartAsync(transport, [$"--Logic:PluginsPath={IsolationPlugins.CrashFolder}", "--Logic:Plugin=Crash", "--Plugins:Crash:Isolation=Process"]);
        var match = WorkerLine().Match(host.Process.Output);
        Assert.True(match.Success, host.Process.Output);
        var worker = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        using (var client = host.Connect())
        {
            Assert.Equal(worker.ToString(System.Globalization.CultureInfo.InvariantCulture), await client.AskAsync("pid"));
        }

        host.Process.Kill();
        await Wait.UntilAsync(() => !WorkerProcesses.IsAlive(worker), TimeSpan.FromSeconds(10), $"worker {worker} ends with its SIGKILLed host");
    }

    [GeneratedRegex(@"runs in worker process (\d+)")]
    private static partial Regex WorkerLine();
}
