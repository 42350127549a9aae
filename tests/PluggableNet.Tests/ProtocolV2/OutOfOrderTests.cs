using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ProtocolV2;

/// <summary>Offloaded answers go out as they complete; CANCEL reaches the call's token and drops its answer.</summary>
public sealed class OutOfOrderTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task FastAnswersOvertakeASlowOne(string transport)
    {
        await using var server = V2Plugins.Start(transport, V2Plugins.Offloaded);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        await connection.SendRawAsync([.. V2Connection.Request(1, "sleep:1000"), .. Enumerable.Range(2, 20).SelectMany(id => V2Connection.Request((uint)id, "fast"))]);

        var order = new List<uint>();
        for (var i = 0; i < 21; i++)
        {
            var frame = await connection.ReadFrameAsync();
            Assert.Equal(FrameType.Answer, frame.Type);
            Assert.Equal(frame.Id == 1 ? "slept:1000" : "tsaf", frame.Text);
            order.Add(frame.Id);
        }

        Assert.Equal(1u, order[^1]);
        Assert.Equal(Enumerable.Range(1, 21).Select(i => (uint)i), order.Order());
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ACancelSignalsTheCallsTokenAndItsAnswerNeverComes(string transport)
    {
        var marker = Path.Combine(V2Plugins.Directory, $"cancel-{Guid.NewGuid():N}");
        await using var server = V2Plugins.Start(transport, V2Plugins.Offloaded);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        await connection.RequestAsync(1, "cancel:" + marker);
        await connection.RequestAsync(2, "sleep:50");
        Assert.Equal((2u, "slept:50"), await ReadAnswerAsync(connection));
        await connection.SendAsync(FrameType.Cancel, 1);

        await Wait.UntilAsync(() => File.Exists(marker), Wait.Default, "the plugin's token to be signalled");
        await connection.SendAsync(FrameType.Cancel, 1);
        Assert.Equal("retfa", await connection.AskAsync(3, "after"));
    }

    private static async Task<(uint Id, string Text)> ReadAnswerAsync(V2Connection connection)
    {
        var frame = await connection.ReadFrameAsync();
        Assert.Equal(FrameType.Answer, frame.Type);
        return (frame.Id, frame.Text);
    }
}
