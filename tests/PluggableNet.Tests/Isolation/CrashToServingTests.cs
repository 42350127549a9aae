using System.Diagnostics;
using PluggableNet.Protocol.V2;
using PluggableNet.Server.Plugins.Isolation;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Isolation;

/// <summary>
/// Issue 24's measured figure "time from a worker crash to serving again" (target ≤ 1 s), from the client's side: from
/// the ERROR of the crashing request to the ANSWER of the next one, which waits for the restarted worker. Printed; the
/// assertion is looser than the target because this machine's two cores are shared with other builds.
/// </summary>
public sealed class CrashToServingTests(ITestOutputHelper output)
{
    private const int Crashes = 5;

    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AWorkerCrashIsServingAgainWithinASecond(string transport)
    {
        await using var server = TestServer.Start(
            transport,
            ("Logic:PluginsPath", IsolationPlugins.CrashFolder),
            ("Logic:Plugin", "Crash"),
            ("Plugins:Crash:Isolation", "Process"),
            ("Plugins:Crash:MaxRestarts", "100"));
        var plugin = Assert.IsType<IsolatedPlugin>(server.Server.Plugins.Current.Plugin);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);
        List<double> milliseconds = [];
        uint id = 1;
        for (var crash = 0; crash < Crashes; crash++)
        {
            await connection.RequestAsync(id, nameof(CrashKind.FailFast));
            var (error, _) = await connection.ReadUntilAsync(FrameType.Error, TimeSpan.FromSeconds(30));
            Assert.Equal(ErrorCode.PluginUnavailable, error.Error.Code);
            var crashed = Stopwatch.GetTimestamp();
            Assert.Equal("back", await connection.AskAsync(id + 2, "back"));
            milliseconds.Add(Stopwatch.GetElapsedTime(crashed).TotalMilliseconds);
            id += 4;
        }

        milliseconds.Sort();
        var median = milliseconds[Crashes / 2];
        output.WriteLine($"{transport}: crash to serving, ms: {string.Join(", ", milliseconds.Select(m => m.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))}; median {median:F0} ms; restarts {plugin.Restarts}");
        Assert.Equal(Crashes, plugin.Restarts);
        Assert.True(median < 3000, $"median crash-to-serving {median:F0} ms");
    }
}
