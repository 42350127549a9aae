using PluggableNet.Server.Plugins.Isolation;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;
using Serilog.Events;

namespace PluggableNet.Tests.Isolation;

/// <summary>
/// A worker that spams its standard error cannot flood the host's log (docs/isolation.md): at most
/// <see cref="WorkerStderr.LinesPerWindow"/> lines are relayed per window, a Warning says the rest are not, and the
/// worker goes on answering.
/// </summary>
public sealed class WorkerStderrTests
{
    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AWorkerSpammingStandardErrorIsRateLimitedInTheHostLog(string transport)
    {
        await using var server = TestServer.Start(
            transport,
            ("Logic:PluginsPath", IsolationPlugins.CrashFolder),
            ("Logic:Plugin", "Crash"),
            ("Plugins:Crash:Isolation", "Process"));
        using var client = server.Connect();

        // 1,000 lines at once, twice: far more than one window's worth.
        Assert.Equal("Spam", await client.AskAsync("Spam"));
        Assert.Equal("Spam", await client.AskAsync("Spam"));
        await server.Log.WaitForAsync("further lines are not logged until the window ends", LogEventLevel.Warning, TimeSpan.FromSeconds(30));
        Assert.Equal("still here", await client.AskAsync("still here"));

        var relayed = server.Log.Messages().Count(m => m.Contains("spam line", StringComparison.Ordinal));
        // 2,000 lines written; a slow run may straddle two windows, never more.
        Assert.True(relayed <= 2 * WorkerStderr.LinesPerWindow, $"{relayed} of 2000 spam lines relayed; at most {WorkerStderr.LinesPerWindow} per window");
        Assert.True(relayed > 0, "the first lines of the window are relayed");
    }
}
