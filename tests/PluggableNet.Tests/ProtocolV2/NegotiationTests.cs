using System.Text;
using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ProtocolV2;

/// <summary>Which protocol a connection speaks is decided by its first bytes; v1 is untouched by v2's existence.</summary>
public sealed class NegotiationTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ThePrefaceIsAnsweredWithThePrefaceAndTheHostsSettings(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:MaxConcurrentRequests", "7"), ("Limits:PingInterval", "00:00:20"));
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        var settings = connection.Settings;
        Assert.Equal(99_999u, settings.MaxFrameBytes);
        Assert.Equal(7u, settings.MaxConcurrentRequests);
        Assert.Equal(20_000u, settings.PingIntervalMs);
        Assert.Equal(10_000u, settings.PingTimeoutMs);
        Assert.StartsWith("PluggableNet/", settings.Server, StringComparison.Ordinal);
        Assert.Equal("Reverse/1.0.0", settings.Plugin);
        Assert.Equal("edcba", await connection.AskAsync(1, "abcde"));
        Assert.Equal(1, server.Server.Status().V2Connections);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task APrefaceArrivingByteByByteStillNegotiates(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var connection = V2Connection.Connect(server.EndPoint);
        foreach (var b in Preface.Bytes.ToArray())
        {
            await connection.SendRawAsync(new[] { b });
            await Task.Delay(5);
        }

        await connection.ReadPrefaceAsync();
        Assert.Equal("olleh", await connection.AskAsync(9, "hello"));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task RequestsSentWithThePrefaceBeforeTheHostsAnswerAreServed(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var connection = V2Connection.Connect(server.EndPoint);

        await connection.SendRawAsync([.. Preface.Bytes.ToArray(), .. V2Connection.Request(1, "one"), .. V2Connection.Request(2, "two")]);
        await connection.ReadPrefaceAsync();

        var first = await connection.ReadFrameAsync();
        var second = await connection.ReadFrameAsync();
        Assert.Equal((FrameType.Answer, 1u, "eno"), (first.Type, first.Id, first.Text));
        Assert.Equal((FrameType.Answer, 2u, "owt"), (second.Type, second.Id, second.Text));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AV1ClientGetsExactlyTheBytesItAlwaysGot(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var client = server.Connect();

        await client.SendRawAsync("00005abcde\r\n00003xyz");
        var answer = new byte[18];
        await ReadRestAsync(client, answer, 0);

        Assert.Equal("00005edcba00003zyx", Encoding.ASCII.GetString(answer));
        Assert.Equal(0, server.Server.Status().V2Connections);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ABinaryV1ClientGetsExactlyTheBytesItAlwaysGot(string transport)
    {
        await using var server = TestServer.Start(transport, ("Framing:Kind", "UInt32BigEndian"));
        using var client = server.Connect(binary: true);

        Assert.Equal("edcba", await client.AskAsync("abcde"));
        Assert.Equal(0, server.Server.Status().V2Connections);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task APrefaceIsAnInvalidV1HeaderWhenV2IsRefusedByConfiguration(string transport)
    {
        await using var server = TestServer.Start(transport, ("Framing:AllowV2", "false"));
        using var connection = V2Connection.Connect(server.EndPoint);
        await connection.SendRawAsync(Preface.Bytes.ToArray());

        Assert.Equal(0, await connection.ReadToEndAsync());
        await server.Log.WaitForAsync("invalid frame header (not all digits: \"PNET/\")");
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AnAlmostPrefaceIsAnInvalidV1Header(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var connection = V2Connection.Connect(server.EndPoint);
        await connection.SendRawAsync("PNET/3\r\n"u8.ToArray());

        Assert.Equal(0, await connection.ReadToEndAsync());
        await server.Log.WaitForAsync("invalid frame header (not all digits");
        Assert.Equal(0, server.Server.Status().V2Connections);
    }

    private static async Task ReadRestAsync(FrameClient client, byte[] answer, int from)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (from < answer.Length)
        {
            var received = await client.Socket.ReceiveAsync(answer.AsMemory(from), System.Net.Sockets.SocketFlags.None, timeout.Token);
            Assert.NotEqual(0, received);
            from += received;
        }
    }
}
