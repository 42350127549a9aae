using System.Net;
using PluggableNet.Tests.Cli;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Isolation;

/// <summary>
/// Issue 24: in Isolation InProcess (the default) the same crashing plugin takes the host down, as documented
/// (docs/isolation.md); the host's fatal line names the plugin where a handler can still run (an exception on a
/// plugin's thread), for FailFast and a stack overflow the runtime's own last words on stderr name the plugin's frame,
/// and a native fault ends it by signal with nothing written.
/// </summary>
public sealed class InProcessCrashIsFatalTests
{
    [LinuxFact]
    public async Task AnExceptionOnAPluginThreadEndsTheHostAndTheFatalLineNamesThePlugin()
    {
        var result = await CrashAsync(CrashKind.ThreadException);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("FTL] Unhandled exception on thread", result.All, StringComparison.Ordinal);
        Assert.Contains("in plugin Crash 1.0.0 (generation 1) (Isolation InProcess", result.All, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task FailFastEndsTheHostAndItsLastWordsNameThePluginsFrame()
    {
        var result = await CrashAsync(CrashKind.FailFast);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("the crash plugin fails fast", result.All, StringComparison.Ordinal);
        Assert.Contains("CrashPlugin.Process", result.All, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task AStackOverflowEndsTheHostAndItsLastWordsNameThePluginsFrame()
    {
        var result = await CrashAsync(CrashKind.StackOverflow);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Stack overflow.", result.All, StringComparison.Ordinal);
        Assert.Contains("at CrashPlugin.Recurse(Int32)", result.All, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task ANativeFaultEndsTheHostBySignal11()
    {
        // As documented: no managed code runs after a native fault, so the exit status is all there is to see.
        var result = await CrashAsync(CrashKind.Segfault);

        Assert.Equal(128 + 11, result.ExitCode);
    }

    private static async Task<HostResult> CrashAsync(CrashKind kind)
    {
        var (host, line) = await CliSandbox.StartForegroundAsync(
            ["--Server:Address=127.0.0.1", "--Server:Port=0", $"--Logic:PluginsPath={IsolationPlugins.CrashFolder}", "--Logic:Plugin=Crash"]);
        await using (host)
        {
            Assert.Equal("ok", await HostAnswers.AskAsync(line.Port, "ok"));
            using var client = FrameClient.Connect(new IPEndPoint(IPAddress.Loopback, line.Port));
            await client.SendAsync(kind.ToString());
            return await host.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}
