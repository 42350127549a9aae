using System.Text;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.EndToEnd;

public sealed class PipeliningTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AThousandPipelinedRequestsAreAnsweredInOrder(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var client = server.Connect();
        var burst = new List<byte>();
        for (var i = 0; i < 1000; i++)
        {
            burst.AddRange(client.Frame(Encoding.ASCII.GetBytes($"req-{i:D4}")));
        }

        await client.SendRawAsync(burst.ToArray());

        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(new string($"req-{i:D4}".Reverse().ToArray()), await client.ReadStringAsync());
        }
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task TwoHundredConcurrentConnectionsAreAllServed(string transport)
    {
        await using var server = TestServer.Start(transport);
        var clients = Enumerable.Range(0, 200).Select(_ => server.Connect()).ToArray();
        try
        {
            var answers = await Task.WhenAll(clients.Select(async (client, i) =>
            {
                var results = new List<string>();
                for (var round = 0; round < 5; round++)
                {
                    results.Add(await client.AskAsync($"c{i}r{round}"));
                }

                return results;
            }));

            for (var i = 0; i < clients.Length; i++)
            {
                for (var round = 0; round < 5; round++)
                {
                    Assert.Equal(new string($"c{i}r{round}".Reverse().ToArray()), answers[i][round]);
                }
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ANinetyNineThousandNineHundredNinetyNineBytePayloadRoundTrips(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var client = server.Connect();
        var payload = new byte[99_999];
        new Random(42).NextBytes(payload);

        await client.SendAsync(payload);
        var answer = await client.ReadFrameAsync();

        Assert.Equal(payload.Reverse().ToArray(), answer);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task BinaryFramingAndTenDigitHeadersWorkEndToEnd(string transport)
    {
        await using (var server = TestServer.Start(transport, ("Framing:Kind", "UInt32BigEndian")))
        using (var client = server.Connect(binary: true))
        {
            Assert.Equal("olleh", await client.AskAsync("hello"));
        }

        await using (var server = TestServer.Start(transport, ("Framing:HeaderDigits", "10")))
        using (var client = server.Connect(headerDigits: 10))
        {
            await client.SendRawAsync("0000000012hello world\n");
            Assert.Equal("\ndlrow olleh", await client.ReadStringAsync());
        }
    }
}
