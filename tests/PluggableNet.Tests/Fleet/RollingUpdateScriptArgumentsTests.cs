using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Fleet;

/// <summary>deploy/haproxy/rolling-update.sh as an operator first meets it: --help, and mistakes that exit 2 before touching anything.</summary>
public sealed class RollingUpdateScriptArgumentsTests
{
    [Fact]
    public async Task HelpDocumentsTheStepsAndTheOptions()
    {
        var (exitCode, text) = await RunAsync("--help");
        Assert.Equal(0, exitCode);
        foreach (var expected in new[] { "--socket", "--backend", "--update", "{server}", "state drain", "state ready", "--drain-wait", "--ready-timeout", "--ready-url", "maintenance", "--in-place" })
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("--backend b --update true s1", "--socket is required")]
    [InlineData("--socket /nonexistent.sock --update true s1", "--backend is required")]
    [InlineData("--socket /nonexistent.sock --backend b s1", "--update is required")]
    [InlineData("--socket /nonexistent.sock --backend b --update true", "no server given")]
    [InlineData("--socket /nonexistent.sock --backend b --update true --drain-wait soon s1", "--drain-wait must be whole seconds")]
    [InlineData("--socket /nonexistent.sock --backend b --update true s1", "no HAProxy runtime API socket at /nonexistent.sock")]
    [InlineData("--bogus", "unknown option --bogus")]
    public async Task AMistakeExits2AndSaysWhat(string arguments, string message)
    {
        var (exitCode, text) = await RunAsync(arguments.Split(' '));
        Assert.Equal(2, exitCode);
        Assert.Contains(message, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownServerExits2BeforeAnythingIsDrained()
    {
        await using var host = await SupervisedHost.StartAsync("Sockets", socketActivated: false);
        await using var haproxy = await HaproxyProcess.StartAsync([("host1", host.Port)]);
        var (exitCode, text) = await RunAsync("--socket", haproxy.Socket, "--backend", HaproxyProcess.Backend, "--update", "true", "host1", "host9");
        Assert.Equal(2, exitCode);
        Assert.Contains("backend 'pluggablenet' has no server 'host9'", text, StringComparison.Ordinal);
        Assert.True((await haproxy.ServersAsync())["host1"].InRotation);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        await using var script = ChildProcess.Start("bash", [HaproxyProcess.RollingUpdateScript, .. arguments]);
        var exitCode = await script.WaitForExitAsync(TimeSpan.FromSeconds(20));
        return (exitCode, script.Output + script.Error);
    }
}
