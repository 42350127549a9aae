using PluggableNet.Protocol.V2;
using PluggableNet.Server.Plugins.Isolation;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Isolation;

/// <summary>
/// Issue 24, points 2 and 4: in Isolation Process, each way a plugin can end its process ends only its worker. The
/// host stays up, idle connections are untouched, a v2 request in flight gets ERROR PLUGIN_UNAVAILABLE (or
/// PROCESS_TIMEOUT, for the call that never returns) and its connection carries on, a v1 connection with a request in
/// flight is closed, the worker restarts, and the third crash within the window (MaxRestarts 2) gives the plugin up.
/// </summary>
public sealed class ProcessIsolationCrashTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(30);

    public static TheoryData<string, CrashKind> Cases
    {
        get
        {
            var data = new TheoryData<string, CrashKind>();
            foreach (var transport in TransportData.All)
            {
                foreach (var kind in Enum.GetValues<CrashKind>())
                {
                    data.Add(transport, kind);
                }
            }

            return data;
        }
    }

    [LinuxTheory]
    [MemberData(nameof(Cases))]
    public async Task ACrashEndsOnlyTheWorkerWhichRestartsUntilTheIntensityLimit(string transport, CrashKind kind)
    {
        await using var server = TestServer.Start(transport, Settings(kind));
        var plugin = Assert.IsType<IsolatedPlugin>(server.Server.Plugins.Current.Plugin);
        var firstWorker = plugin.WorkerPid;
        Assert.NotEqual(Environment.ProcessId, int.Parse(await AskV1Async(server, "pid"), System.Globalization.CultureInfo.InvariantCulture));

        using var idleV1 = server.Connect();
        Assert.Equal("a", await idleV1.AskAsync("a"));
        using var idleV2 = await V2Connection.OpenAsync(server.EndPoint);
        Assert.Equal("b", await idleV2.AskAsync(1, "b"));

        // v2: the request in flight is told, the connection goes on once the worker is back.
        using var v2 = await V2Connection.OpenAsync(server.EndPoint);
        await v2.RequestAsync(1, kind.ToString());
        var (error, _) = await v2.ReadUntilAsync(FrameType.Error, s_long);
        Assert.Equal(1u, error.Id);
        Assert.True(error.Error.Code == ErrorCode.PluginUnavailable || (kind == CrashKind.NeverReturns && error.Error.Code == ErrorCode.ProcessTimeout), $"{error.Error.Code}: {error.Error.Text}");
        await Wait.UntilAsync(() => plugin.Restarts == 1 && plugin.WorkerPid != 0, s_long, "the worker restarts");
        Assert.NotEqual(firstWorker, plugin.WorkerPid);
        Assert.False(WorkerProcesses.IsAlive(firstWorker), $"the crashed worker {firstWorker} is gone");
        Assert.Equal("after", await v2.AskAsync(3, "after"));

        // v1: a connection with a request in flight cannot be told, so it is closed.
        using (var v1 = server.Connect())
        {
            await v1.SendAsync(kind.ToString());
            Assert.True(await v1.WaitForCloseAsync(s_long), "the v1 connection with the crashing request in flight is closed");
        }

        await Wait.UntilAsync(() => plugin.Restarts == 2 && plugin.WorkerPid != 0, s_long, "the worker restarts again");

        // Every other connection is untouched.
        Assert.Equal("c", await idleV1.AskAsync("c"));
        Assert.Equal("d", await idleV2.AskAsync(3, "d"));
        Assert.True(server.Server.IsReady);
        Assert.True(server.Log.Contains($"worker process {firstWorker} {ExpectedEnd(kind)}"), string.Join(Environment.NewLine, server.Log.Messages()));

        // The third crash within the window is one too many: given up, not ready, refusing with the reason.
        await v2.RequestAsync(5, kind.ToString());
        (error, _) = await v2.ReadUntilAsync(FrameType.Error, s_long);
        Assert.Equal(5u, error.Id);
        await Wait.UntilAsync(() => plugin.GaveUp, s_long, "the supervisor gives up");
        Assert.False(server.Server.IsReady);
        await v2.RequestAsync(7, "refused");
        (error, _) = await v2.ReadUntilAsync(FrameType.Error, s_long);
        Assert.Equal((7u, ErrorCode.PluginUnavailable), (error.Id, error.Error.Code));
        Assert.Contains("not restarted until it is reloaded", error.Error.Text, StringComparison.Ordinal);
        Assert.Equal(0, plugin.WorkerPid);

        // An operator's reload brings a fresh generation (and supervisor): ready again.
        var swapped = await server.Server.ReloadAsync("test");
        Assert.True(swapped.Succeeded, swapped.Error);
        Assert.True(server.Server.IsReady);
        Assert.Equal("e", await idleV2.AskAsync(9, "e"));
    }

    private static async Task<string> AskV1Async(TestServer server, string payload)
    {
        using var client = server.Connect();
        return await client.AskAsync(payload);
    }

    private static (string Key, string Value)[] Settings(CrashKind kind) =>
    [
        ("Logic:PluginsPath", IsolationPlugins.CrashFolder),
        ("Logic:Plugin", "Crash"),
        ("Plugins:Crash:Isolation", "Process"),
        ("Plugins:Crash:MaxRestarts", "2"),
        ("Plugins:Crash:RestartWindow", "120"),
        ("Plugins:Crash:MaxMemoryBytes", kind == CrashKind.OutOfMemory ? "67108864" : "0"),
        ("Limits:ProcessTimeout", kind == CrashKind.NeverReturns ? "1" : "60"),
    ];

    private static string ExpectedEnd(CrashKind kind) => kind switch
    {
        CrashKind.Segfault => "was killed by signal 11 (SIGSEGV)",
        CrashKind.OutOfMemory => "exited with code 3 (out of its memory limit)",
        CrashKind.NeverReturns => "was killed by signal 9 (SIGKILL), killed by the host: a call ran past Limits:ProcessTimeout",
        _ => "was killed by signal 6 (SIGABRT)",
    };
}
