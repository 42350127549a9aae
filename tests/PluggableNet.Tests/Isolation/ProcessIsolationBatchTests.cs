using System.Text;
using PluggableNet.Protocol.V2;
using PluggableNet.Server.Plugins.Isolation;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Isolation;

/// <summary>
/// Issue 24's batching (docs/isolation.md, "Batching"): 64 requests pipelined in one write through an isolated
/// plugin, inline or offloaded in its worker, over both transports and both protocols: v1 answers come back in
/// request order, v2 answers all come back by id (out of order for the offloaded plugin), and the host sent them to
/// the worker in far fewer writes than requests, and read the inline plugin's answers in far fewer reads.
/// </summary>
public sealed class ProcessIsolationBatchTests
{
    private const int Burst = 64;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    public static TheoryData<string, string, bool> Cases
    {
        get
        {
            var data = new TheoryData<string, string, bool>();
            foreach (var transport in TransportData.All)
            {
                foreach (var protocol in new[] { "v1", "v2" })
                {
                    data.Add(transport, protocol, false);
                    data.Add(transport, protocol, true);
                }
            }

            return data;
        }
    }

    [LinuxTheory]
    [MemberData(nameof(Cases))]
    public async Task APipelinedBurstIsBatchedToTheWorkerAndEveryAnswerComesBackRight(string transport, string protocol, bool offloaded)
    {
        var (folder, name, prefix) = offloaded ? (IsolationPlugins.DelayedFolder, "Delayed", "n:") : (IsolationPlugins.CrashFolder, "Crash", string.Empty);
        await using var server = TestServer.Start(
            transport,
            ("Logic:PluginsPath", folder),
            ("Logic:Plugin", name),
            ($"Plugins:{name}:Isolation", "Process"));
        var plugin = Assert.IsType<IsolatedPlugin>(server.Server.Plugins.Current.Plugin);
        var counters = plugin.Counters;
        var (requestsBefore, writesBefore, answersBefore, readsBefore) = (counters.Requests, counters.RequestWrites, counters.Answers, counters.AnswerReads);

        if (protocol == "v1")
        {
            using var client = server.Connect();
            var burst = new List<byte>();
            for (var i = 1; i <= Burst; i++)
            {
                burst.AddRange(client.Frame(Encoding.UTF8.GetBytes($"r-{i}")));
            }

            await client.SendRawAsync(burst.ToArray());
            for (var i = 1; i <= Burst; i++)
            {
                Assert.Equal($"{prefix}r-{i}", await client.ReadStringAsync(s_timeout));
            }
        }
        else
        {
            using var client = await V2Connection.OpenAsync(server.EndPoint);
            var burst = new List<byte>();
            for (var i = 1; i <= Burst; i++)
            {
                burst.AddRange(V2Connection.Request((uint)i, $"r-{i}"));
            }

            await client.SendRawAsync(burst.ToArray());
            var order = new List<uint>();
            for (var i = 0; i < Burst; i++)
            {
                var frame = await client.ReadFrameAsync(s_timeout);
                Assert.True(frame.Type == FrameType.Answer, $"{frame} {frame.Text}");
                Assert.Equal($"{prefix}r-{frame.Id}", frame.Text);
                order.Add(frame.Id);
            }

            Assert.Equal(Enumerable.Range(1, Burst).Select(i => (uint)i), order.Order());
            if (offloaded)
            {
                // The last request finishes first in the worker: v2 passes answers on as they come.
                Assert.NotEqual(1u, order[0]);
            }
        }

        var requests = counters.Requests - requestsBefore;
        var writes = counters.RequestWrites - writesBefore;
        var answers = counters.Answers - answersBefore;
        var reads = counters.AnswerReads - readsBefore;
        Assert.Equal(Burst, requests);
        Assert.Equal(Burst, answers);

        // One request per write would be 64 writes; a burst read in one or a few receives is one or a few.
        Assert.True(writes <= Burst / 8, $"{requests} requests went to the worker in {writes} writes");
        if (!offloaded)
        {
            // An inline plugin answers every request of one read before one write.
            Assert.True(reads <= Burst / 8, $"{answers} answers came back in {reads} reads");
        }
    }
}
