using System.Security.Authentication;
using System.Text;
using PluggableNet.Server.Transport.Sockets;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Tls;

/// <summary>
/// After the handshake a TLS connection's completions run on the runtime's socket event thread (InlineCompletions):
/// answers that fill the socket's buffer, so that sends pend and complete on that thread, still arrive whole and in
/// order, on v1 and v2, on both settings of <c>Server:Transport</c>.
/// </summary>
public sealed class TlsInlineCompletionsTests
{
    private const int Requests = 24;
    private const int PayloadBytes = 60_000;

    [Fact]
    public void TheTestProcessRunsTlsCompletionsInlineAsTheHostDoes() =>
        Assert.True(InlineCompletions.Applies, "one socket event thread per processor was asked for before any socket existed");

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task PipelinedV1AnswersLargerThanTheSocketBufferArriveWholeAndInOrder(string transport)
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var server = TestServer.Start(transport, files.Settings("server"));
        using var client = await TlsClient.ConnectAsync(server.EndPoint, "localhost", SslProtocols.Tls13);

        // Written at once while the answers (1.4 MB) are read: the server's sends outrun the reader and pend.
        var payloads = Enumerable.Range(0, Requests).Select(Payload).ToList();
        var writing = client.WriteAsync([.. payloads.SelectMany(p => Frames.Ascii(p))]);
        foreach (var payload in payloads)
        {
            var header = await client.ReadExactlyAsync(5);
            Assert.Equal(PayloadBytes.ToString("D5", System.Globalization.CultureInfo.InvariantCulture), Encoding.ASCII.GetString(header));
            Assert.Equal(Reversed(payload), Encoding.ASCII.GetString(await client.ReadExactlyAsync(PayloadBytes)));
        }

        await writing;
        Assert.Equal("olleh", await client.AskAsync("hello"));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task LargeV2AnswersOnSeveralConnectionsArriveWhole(string transport)
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var server = TestServer.Start(transport, files.Settings("server"));

        await Task.WhenAll(Enumerable.Range(0, 4).Select(async c =>
        {
            using var client = await TlsClient.ConnectAsync(server.EndPoint, "localhost");
            await client.OpenV2Async();
            for (var i = 1; i <= 6; i++)
            {
                var payload = Payload(c * 10 + i);
                Assert.Equal(Reversed(payload), await client.AskV2Async((uint)i, payload));
            }
        }));
    }

    private static string Payload(int seed) =>
        string.Create(PayloadBytes, seed, static (span, s) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = (char)('a' + ((i + s) % 26));
            }
        });

    private static string Reversed(string text)
    {
        var chars = text.ToCharArray();
        Array.Reverse(chars);
        return new string(chars);
    }
}
