using System.Text;
using PluggableNet.Tests.ConnectionMove;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Upgrade;

/// <summary>
/// Established connections move to the new host in an upgrade (docs/upgrade.md, step 7): clients pipelining on
/// persistent connections see no close and no lost, repeated or mixed answer, and their next answers come from the new
/// build on the same connection; a frame half received moves with its bytes; a session plugin's state moves with them.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ConnectionsMoveInAnUpgradeTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> s_upper = new() { ["PLUGGABLENET_Logic__Plugin"] = "Upper" };

    [LinuxTheory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task PipeliningClientsKeepTheirConnectionsAndTheNewBuildAnswersOnThem(string transport, string protocol)
    {
        await using var host = await UpgradedHost.StartAsync(transport, environment: s_upper);
        var reverse = host.Build("build-reverse", "PLUGGABLENET_Logic__Plugin=Reverse");
        await using var load = ReconnectingLoad.Start(host.EndPoint, connections: 4, depth: 4, (request, answer) => answer == request.ToUpperInvariant() || answer == new string([.. request.Reverse()]));
        var clients = new List<PipeliningClient>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                clients.Add(await PipeliningClient.StartAsync(host.EndPoint, protocol, i));
            }

            await PipeliningClient.AllUntilAsync(clients, c => c.FromOld >= 20, "answered by the old build", TimeSpan.FromSeconds(20));
            var result = await host.UpgradeAsync(reverse);
            output.WriteLine(result.Output.Trim());
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains(" 0 stay to drain", result.Output, StringComparison.Ordinal);

            // Same connections, new build: every client's answers turn to Reverse's (the client fails on any other order).
            await PipeliningClient.AllUntilAsync(clients, c => c.FromNew >= 20, "answered by the new build on its connection", TimeSpan.FromSeconds(20));
            foreach (var client in clients)
            {
                await client.FinishAsync();
            }

            using (var fresh = FrameClient.Connect(host.EndPoint))
            {
                Assert.Equal("cba", await fresh.AskAsync("abc"));
            }

            var oldExit = await host.First.Process.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(0, oldExit.ExitCode);
            await load.AnswersGrowAsync(100);
            await load.StopAsync();
            output.WriteLine($"{transport} {protocol}: {string.Join(", ", clients.Select(c => $"{c.FromOld} old + {c.FromNew} new"))}; {load}");
            Assert.True(load.Refused == 0 && load.Failed == 0 && load.Wrong == 0, load.ToString());
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [LinuxTheory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task AFrameHalfSentBeforeTheUpgradeIsAnsweredByTheNewBuildAfterIt(string transport, string protocol)
    {
        // The half frame's receive-rate clock keeps running on the new host (its grace is 5 s); on a loaded machine an
        // upgrade alone can take longer, and this test is about the bytes moving, not the rate limit.
        await using var host = await UpgradedHost.StartAsync(transport, ["--Limits:MinReceiveRate=0"], environment: s_upper);
        var reverse = host.Build("build-reverse", "PLUGGABLENET_Logic__Plugin=Reverse");
        byte[] frame;
        Func<Task<string>> readAnswer;
        Func<byte[], Task> send;
        IDisposable client;
        if (protocol == "v2")
        {
            var v2 = await V2Connection.OpenAsync(host.EndPoint);
            client = v2;
            Assert.Equal("FIRST", await v2.AskAsync(1, "first"));
            frame = V2Connection.Request(2, "halfway there");
            readAnswer = async () => (await v2.ReadUntilAsync(PluggableNet.Protocol.V2.FrameType.Answer)).Frame.Text;
            send = v2.SendRawAsync;
        }
        else
        {
            var v1 = FrameClient.Connect(host.EndPoint);
            client = v1;
            Assert.Equal("FIRST", await v1.AskAsync("first"));
            frame = v1.Frame(Encoding.UTF8.GetBytes("halfway there"));
            readAnswer = () => v1.ReadStringAsync();
            send = bytes => v1.SendRawAsync(bytes);
        }

        using (client)
        {
            // Sent before the upgrade starts the new host, so the old host holds these bytes when the connection leaves.
            await send(frame[..(frame.Length / 2)]);
            var result = await host.UpgradeAsync(reverse);
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.True(result.Output.Contains("1 connection(s) moved, 0 stay to drain", StringComparison.Ordinal), result.Output + host.First.Process.Output);
            await send(frame[(frame.Length / 2)..]);
            Assert.Equal("ereht yawflah", await readAnswer());
        }
    }

    [LinuxTheory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ChatNicknamesRoomsAndTheMessageCountSurviveAnUpgradeOnBothProtocols(string transport)
    {
        await using var host = await UpgradedHost.StartAsync(transport, ["--Logic:Plugin=Chat"]);
        using var ann = FrameClient.Connect(host.EndPoint);
        using var bo = await V2Connection.OpenAsync(host.EndPoint);
        Assert.Equal("you are ann", await ann.AskAsync("NICK ann"));
        Assert.Equal("joined lobby (1 here)", await ann.AskAsync("JOIN lobby"));
        Assert.Equal("you are bo", await bo.AskAsync(1, "NICK bo"));
        Assert.Equal("joined lobby (2 here)", await bo.AskAsync(2, "JOIN lobby"));
        await ann.SendAsync("SAY lobby before");
        Assert.Equal("lobby ann: before", await ann.ReadStringAsync());
        Assert.Equal("lobby ann: before", Encoding.UTF8.GetString((await bo.ReadUntilAsync(PluggableNet.Protocol.V2.FrameType.Push)).Frame.Payload));
        var before = await host.ServingAsync(_ => true);

        var result = await host.UpgradeAsync();
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("2 connection(s) moved, 0 stay to drain", result.Output, StringComparison.Ordinal);
        await host.ServingAsync(s => s.Pid != before.Pid);

        // The same connections, served by the new host: nicknames, the room and the shared count came along.
        Assert.Equal("ann bo", await ann.AskAsync("WHO lobby"));
        Assert.Equal("messages 1, sessions 2", await bo.AskAsync(3, "STATS"));
        Assert.Equal(string.Empty, await bo.AskAsync(4, "SAY lobby after"));
        Assert.Equal("lobby bo: after", await ann.ReadStringAsync());
        Assert.Equal("messages 2, sessions 2", await ann.AskAsync("STATS"));
        var oldExit = await host.First.Process.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, oldExit.ExitCode);
    }
}
