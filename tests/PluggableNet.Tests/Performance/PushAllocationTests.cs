using System.Net;
using PluggableNet.Host.Control;
using PluggableNet.Server;
using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Performance;

/// <summary>
/// A push delivered to a parked connection allocates nothing once warm, on either transport: every message of the
/// measured run wakes every receiver (paced: the next is sent once all received the last), the worst case for a
/// transport that would replace a wait object or cancel a receive per wake. Measured in a separate host process
/// through its status channel's allocated-bytes figure, like <see cref="SteadyStateAllocationTests"/>.
/// </summary>
public sealed class PushAllocationTests(ITestOutputHelper output)
{
    private const int Receivers = 200;
    private const int Messages = 300;

    // The fan-out benchmark's plugin (bench/Plugins/Broadcast): everyone joins one room, "!x" broadcasts x to it.
    private const string Source = """
        using System;
        using System.Buffers;
        using PluggableNet;

        namespace PushAllocation;

        public sealed class Fanout : ISessionPlugin
        {
            private static readonly SessionOptions s_sessions = new() { Pushes = true, V1StreamMode = true };

            public SessionOptions Sessions => s_sessions;

            public void OnOpened(ISession session) => session.Sessions.Join(session, "all");

            public void Process(ISession session, ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
            {
                if (!request.IsEmpty && request[0] == (byte)'!')
                {
                    session.Sessions.Broadcast("all", request[1..]);
                    return;
                }

                "ok"u8.CopyTo(answer.GetSpan(2));
                answer.Advance(2);
            }
        }
        """;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task APushToAParkedConnectionAllocatesNothingOnceWarm(string transport)
    {
        var directory = TestPaths.NewTempDirectory();
        var plugins = PluginCompiler.BuildInNewDirectory("Fanout", Source);
        var control = Path.Combine(directory, "control.sock");
        await using var host = HostProcess.Start(
        [
            "run", "--Server:Address=127.0.0.1", "--Server:Port=0", $"--Server:Transport={transport}",
            $"--Control:Socket={control}", $"--Logic:PluginsPath={plugins}", "--Logic:Plugin=Fanout",
            "--Logic:HotReload=false", "--Serilog:MinimumLevel:Default=Warning",
        ]);
        var clients = new List<FrameClient>();
        try
        {
            ServerStatus? status = null;
            await Wait.UntilAsync(async () => (status = await ControlChannel.QueryAsync(control, TimeSpan.FromSeconds(1))) is not null, because: host.ToString());
            var endPoint = new IPEndPoint(IPAddress.Loopback, status!.Port);
            for (var i = 0; i < Receivers; i++)
            {
                var client = FrameClient.Connect(endPoint);
                clients.Add(client);
                Assert.Equal("ok", await client.AskAsync("?"));
            }

            // The sender is a member too, so every client receives every message.
            var sender = clients[0];
            await BroadcastPacedAsync(sender, clients, "warm");
            var before = await ControlChannel.QueryAsync(control, TimeSpan.FromSeconds(5));
            await BroadcastPacedAsync(sender, clients, "measured");
            var after = await ControlChannel.QueryAsync(control, TimeSpan.FromSeconds(5));

            var deliveries = (double)Receivers * Messages;
            var perDelivery = (after!.AllocatedBytes - before!.AllocatedBytes) / deliveries;
            output.WriteLine($"{transport}: {perDelivery:F3} bytes allocated per delivered push over {deliveries} deliveries");

            // One object per delivery would be 24 bytes or more; the bound leaves room for what the runtime's socket
            // engine and thread pool allocate in the background (a few hundred bytes a second) and two status queries.
            const double Bound = 4.0;
            Assert.True(perDelivery < Bound, $"{perDelivery:F2} bytes allocated per delivered push on {transport}");
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
            host.Kill();
            Directory.Delete(directory, recursive: true);
            Directory.Delete(plugins, recursive: true);
        }
    }

    /// <summary>Each message is sent once every client read the one before: every delivery wakes a parked connection.</summary>
    private static async Task BroadcastPacedAsync(FrameClient sender, List<FrameClient> clients, string tag)
    {
        for (var m = 0; m < Messages; m++)
        {
            var text = $"{tag} {m}";
            await sender.SendAsync("!" + text);
            var received = await Task.WhenAll(clients.Select(c => c.ReadStringAsync(TimeSpan.FromSeconds(10))));
            Assert.All(received, r => Assert.Equal(text, r));
        }
    }
}
