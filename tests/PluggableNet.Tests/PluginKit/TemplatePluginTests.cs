using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.PluginKit;

/// <summary>The path docs/writing-plugins.md and the README's tour give a plugin author: template, build, own test, deploy into a running host, rebuild.</summary>
[Collection(KitCollection.Name)]
public sealed class TemplatePluginTests(KitPackages kit)
{
    private static readonly string[] s_warningsAsErrors = ["-p:TreatWarningsAsErrors=true", "-warnaserror"];

    [Fact]
    public async Task GeneratedPluginBuildsPassesItsTestDeploysAndARebuildReachesTheSameConnection()
    {
        var project = await kit.NewPluginAsync("Echo");
        var plugins = kit.NewFolder("plugins");

        await KitPackages.RunAsync(project, ["test", "Echo.Tests", .. s_warningsAsErrors]);
        var build = await KitPackages.RunAsync(project, ["build", $"-p:PluggableNetPluginsPath={plugins}", .. s_warningsAsErrors]);
        Assert.Contains("(deployed)", build, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(plugins, "Echo", "Echo.dll")), build);
        // Shared with the host, so never shipped: a copy would split type identity.
        Assert.False(File.Exists(Path.Combine(plugins, "Echo", "PluggableNet.Abstractions.dll")));
        Assert.False(File.Exists(Path.Combine(plugins, "Echo", "Microsoft.Extensions.Logging.Abstractions.dll")));

        await using var host = await RunningHost.StartAsync("Epoll", [$"--Logic:PluginsPath={plugins}", "--Logic:Plugin=Echo", "--Logic:HotReload=true"]);
        using var client = host.Connect();
        Assert.Equal("HÉLLO!", await client.AskAsync("héllo"));

        // A change, rebuilt and deployed while the connection keeps asking: every request is answered, old answers
        // until the switch, new ones after it, never an old one again.
        var source = Path.Combine(project, "EchoPlugin.cs");
        File.WriteAllText(source, File.ReadAllText(source).Replace("?? \"!\"", "?? \" (v2)\"", StringComparison.Ordinal));
        var rebuild = KitPackages.RunAsync(project, ["build", $"-p:PluggableNetPluginsPath={plugins}", .. s_warningsAsErrors]);
        var answers = new List<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        while (answers.Count == 0 || answers[^1] != "PING (v2)")
        {
            Assert.True(DateTime.UtcNow < deadline, $"no new answer after the rebuild; answers: {string.Join(", ", answers.Distinct())}; host: {host.Process.Output}{host.Process.Error}");
            answers.Add(await client.AskAsync("ping"));
            if (rebuild.IsCompleted)
            {
                await rebuild;
            }
        }

        await rebuild;
        var firstNew = answers.IndexOf("PING (v2)");
        Assert.All(answers.Take(firstNew), a => Assert.Equal("PING!", a));
        Assert.All(answers.Skip(firstNew), a => Assert.Equal("PING (v2)", a));
        Assert.Equal("ÅNGSTRÖM (v2)", await client.AskAsync("ångström"));
        var status = await host.StatusAsync(s => s.Generation >= 2);
        Assert.Equal("Echo", status.Plugin);
        Assert.Empty(Directory.GetDirectories(plugins, ".Echo.*"));
    }

    [Fact]
    public async Task GeneratedSessionPluginPassesItsTestsAnswersOnBothProtocolsAndKeepsItsSessionsThroughARebuild()
    {
        var project = await kit.NewPluginAsync("Roster", "--sessions");
        var plugins = kit.NewFolder("plugins");
        Assert.True(File.Exists(Path.Combine(project, "RosterState.cs")));

        var tests = await KitPackages.RunAsync(project, ["test", "Roster.Tests", .. s_warningsAsErrors]);
        Assert.Contains("Passed!", tests, StringComparison.Ordinal);
        var build = await KitPackages.RunAsync(project, ["build", $"-p:PluggableNetPluginsPath={plugins}", .. s_warningsAsErrors]);
        Assert.Contains("(deployed)", build, StringComparison.Ordinal);

        // Both transports at once, on the one plugins folder: one rebuild swaps both.
        var sessions = new List<(RunningHost Host, FrameClient Ann, V2Connection Bo)>();
        try
        {
            foreach (var transport in TransportData.All)
            {
                var host = await RunningHost.StartAsync(transport, [$"--Logic:PluginsPath={plugins}", "--Logic:Plugin=Roster", "--Logic:HotReload=true"]);
                sessions.Add((host, host.Connect(), await V2Connection.OpenAsync(host.EndPoint)));
            }

            foreach (var (_, ann, bo) in sessions)
            {
                Assert.Equal("you are ann", await ann.AskAsync("NAME ann"));
                Assert.Equal("you are bo", await bo.AskAsync(1, "NAME bo"));
                Assert.Equal("ann, 2 request(s)", await ann.AskAsync("WHOAMI"));
                Assert.Equal("4 request(s) from 2 connection(s)", await bo.AskAsync(2, "COUNT"));
            }

            // A change, rebuilt and deployed while both connections keep asking: each keeps its name and its count
            // across the swap, one more request each time, old answers until the switch and new ones after it.
            var source = Path.Combine(project, "RosterPlugin.cs");
            File.WriteAllText(source, File.ReadAllText(source).Replace("request(s)\",", "request(s) (v2)\",", StringComparison.Ordinal));
            var rebuild = KitPackages.RunAsync(project, ["build", $"-p:PluggableNetPluginsPath={plugins}", .. s_warningsAsErrors]);
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
            var asked = 2u;
            for (var requests = 3; ; requests++)
            {
                var answers = new List<(string Name, string Answer)>();
                foreach (var (_, ann, bo) in sessions)
                {
                    answers.Add(("ann", await ann.AskAsync("WHOAMI")));
                    answers.Add(("bo", await bo.AskAsync(++asked, "WHOAMI")));
                }

                Assert.All(answers, a => Assert.StartsWith($"{a.Name}, {requests} request(s)", a.Answer, StringComparison.Ordinal));
                if (answers.All(a => a.Answer.EndsWith("(v2)", StringComparison.Ordinal)))
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, $"no new answer after the rebuild: {string.Join(", ", answers)}; host: {sessions[0].Host.Process.Output}{sessions[0].Host.Process.Error}");
                if (rebuild.IsCompleted)
                {
                    await rebuild;
                }

                await Task.Delay(20);
            }

            await rebuild;
            foreach (var (host, ann, _) in sessions)
            {
                Assert.EndsWith("request(s) from 2 connection(s)", await ann.AskAsync("COUNT"), StringComparison.Ordinal);
                var status = await host.StatusAsync(s => s.Generation >= 2);
                Assert.Equal("Roster", status.Plugin);
            }
        }
        finally
        {
            foreach (var (host, ann, bo) in sessions)
            {
                ann.Dispose();
                bo.Dispose();
                await host.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task OffloadedPluginWithoutTestsBuildsAndRunsOffTheReactor()
    {
        var project = await kit.NewPluginAsync("Fetch", "--execution", "offloaded", "--tests", "false");
        Assert.False(Directory.Exists(Path.Combine(project, "Fetch.Tests")));

        await KitPackages.RunAsync(project, ["build", .. s_warningsAsErrors]);
        await using var plugin = PluginUnderTest.LoadFrom(Path.Combine(project, "bin", "Debug", "net10.0", "Fetch.dll"));
        Assert.Equal(PluginExecution.Offloaded, plugin.Execution);
        Assert.Equal("ÇA VA!", await plugin.CallAsync("ça va"));
        Assert.Contains(plugin.Logs, l => l.Contains("Fetch ready", StringComparison.Ordinal));
        await plugin.AssertUnloadsAsync();
    }
}
