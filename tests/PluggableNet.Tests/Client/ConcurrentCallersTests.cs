using System.Text;
using PluggableNet.Client;
using PluggableNet.Protocol;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Client;

/// <summary>Many callers share a few pipelined connections and each gets its own answer, in both framings.</summary>
public sealed class ConcurrentCallersTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task EveryCallerGetsItsOwnAnswerOverPipelinedConnections(string transport)
    {
        await using var server = TestServer.Start(transport);
        var options = ClientHosts.Options(server.EndPoint);
        options.ConnectionsPerEndpoint = 2;
        await using var client = new PluggableNetClient(options);

        var callers = Enumerable.Range(0, 32).Select(caller => Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                var request = $"caller-{caller}-request-{i}-{new string('x', i % 17)}";
                var answer = await client.SendStringAsync(request);
                Assert.Equal(ClientHosts.Reverse(request), answer);
            }
        }));
        await Task.WhenAll(callers);

        // Pipelined, not one connection per caller: the pool stayed at its size.
        var status = server.Server.Status();
        Assert.InRange(status.Connections, 1, 2);
        Assert.Equal(32 * 200, status.Requests);
    }

    [Theory]
    [InlineData(FramingKind.AsciiDecimal, 5)]
    [InlineData(FramingKind.AsciiDecimal, 10)]
    [InlineData(FramingKind.AsciiDecimal, 3)]
    [InlineData(FramingKind.UInt32BigEndian, 5)]
    public async Task BothFramingsAndHeaderWidthsMatchTheHost(FramingKind format, int digits)
    {
        await using var server = TestServer.Start(
            "Sockets",
            ("Framing:Kind", format.ToString()),
            ("Framing:HeaderDigits", digits.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var options = ClientHosts.Options(server.EndPoint);
        options.Framing = format;
        options.HeaderDigits = digits;
        await using var client = new PluggableNetClient(options);

        var largest = format == FramingKind.UInt32BigEndian || digits == 10 ? 200_000 : Math.Min(client.MaxRequestBytes, 200_000);
        if (digits == 3 && format == FramingKind.AsciiDecimal)
        {
            Assert.Equal(999, client.MaxRequestBytes);
        }

        var big = Encoding.ASCII.GetBytes(new string('a', largest - 1) + "z");
        var answers = await Task.WhenAll(
            client.SendAsync(big).AsTask(),
            client.SendAsync("hello"u8.ToArray()).AsTask(),
            client.SendAsync("x"u8.ToArray()).AsTask());

        Assert.Equal('z', (char)answers[0][0]);
        Assert.Equal(largest, answers[0].Length);
        Assert.Equal("olleh", Encoding.ASCII.GetString(answers[1]));
        Assert.Equal("x", Encoding.ASCII.GetString(answers[2]));
    }

    [Fact]
    public async Task RequestsTheFramingCannotCarryAreRefusedBeforeAnythingIsSent()
    {
        await using var server = TestServer.Start("Sockets", ("Framing:HeaderDigits", "3"));
        var options = ClientHosts.Options(server.EndPoint);
        options.HeaderDigits = 3;
        await using var client = new PluggableNetClient(options);

        var tooBig = Assert.Throws<ArgumentException>(() => client.SendAsync(new byte[1000]));
        Assert.Contains("at most 999", tooBig.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => client.SendAsync(ReadOnlyMemory<byte>.Empty));
        Assert.Equal("cba", await client.SendStringAsync("abc"));
    }

    [Fact]
    public void InvalidOptionsAreRejectedNamingTheOption()
    {
        var none = Assert.Throws<ArgumentException>(() => new PluggableNetClient(new PluggableNetClientOptions()));
        Assert.Contains("Endpoints", none.Message, StringComparison.Ordinal);

        var options = ClientHosts.Options(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1));
        options.HeaderDigits = 11;
        Assert.Contains("HeaderDigits", Assert.Throws<ArgumentException>(() => new PluggableNetClient(options)).Message, StringComparison.Ordinal);

        Assert.Throws<FormatException>(() => PluggableNetClientOptions.ParseEndpoint("127.0.0.1"));
        Assert.Throws<FormatException>(() => PluggableNetClientOptions.ParseEndpoint("127.0.0.1:99999"));
        Assert.Equal("[::1]:9090", PluggableNetClientOptions.ParseEndpoint("[::1]:9090").ToString());
        Assert.IsType<System.Net.DnsEndPoint>(PluggableNetClientOptions.ParseEndpoint("localhost:9090"));
    }
}
