using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Sessions;

/// <summary>What a session plugin's context says of the client: the address a trusted proxy's PROXY header named, and the subject of its TLS client certificate.</summary>
public sealed class SessionIdentityTests
{
    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task TheSessionSeesTheClientThePROXYHeaderNamed(string transport, string protocol)
    {
        await using var harness = SessionHarness.Start(transport, 1, false, false, ("Server:ProxyProtocol", "true"), ("Server:TrustedProxies:0", "127.0.0.1/32"));
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(harness.Server.EndPoint);
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes("PROXY TCP4 203.0.113.7 192.0.2.1 4242 9090\r\n"));
        var answer = protocol == "v2" ? await AskV2Async(socket) : await AskV1Async(socket);
        Assert.Equal("203.0.113.7:4242;;192.0.2.1:9090", answer);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task TheSessionSeesItsClientCertificateSubject(string transport)
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        var directory = RoomPlugin.BuildDirectory(1);
        try
        {
            await using var server = TestServer.Start(transport, files.Settings(
                "server",
                ("Tls:ClientCertificateMode", "RequireCertificate"),
                ("Tls:ClientCaPath", files.WriteAuthority()),
                ("Logic:PluginsPath", directory),
                ("Logic:Plugin", RoomPlugin.Name)));
            var alice = TestCertificates.Client(files.Authority, "CN=alice, O=Example");
            using var client = await TlsClient.ConnectAsync(server.EndPoint, "localhost", clientCertificate: alice);
            var answer = await client.AskAsync("WHOAMI");
            Assert.Contains(";CN=alice, O=Example;", answer, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<string> AskV1Async(System.Net.Sockets.Socket socket)
    {
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes("00006WHOAMI"));
        var header = new byte[5];
        await ReadExactlyAsync(socket, header);
        var payload = new byte[int.Parse(System.Text.Encoding.ASCII.GetString(header))];
        await ReadExactlyAsync(socket, payload);
        return System.Text.Encoding.UTF8.GetString(payload);
    }

    private static async Task<string> AskV2Async(System.Net.Sockets.Socket socket)
    {
        await socket.SendAsync(PluggableNet.Protocol.V2.Preface.Bytes.ToArray());
        await socket.SendAsync(V2Connection.Request(1, "WHOAMI"));
        await ReadExactlyAsync(socket, new byte[PluggableNet.Protocol.V2.Preface.Bytes.Length]);
        while (true)
        {
            var header = new byte[PluggableNet.Protocol.V2.FrameHeader.Size];
            await ReadExactlyAsync(socket, header);
            PluggableNet.Protocol.V2.FrameHeader.TryRead(header, out var frame);
            var payload = new byte[frame.Length];
            await ReadExactlyAsync(socket, payload);
            if (frame.Type == PluggableNet.Protocol.V2.FrameType.Answer)
            {
                return System.Text.Encoding.UTF8.GetString(payload);
            }
        }
    }

    private static async Task ReadExactlyAsync(System.Net.Sockets.Socket socket, byte[] buffer)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = 0;
        while (read < buffer.Length)
        {
            var count = await socket.ReceiveAsync(buffer.AsMemory(read), System.Net.Sockets.SocketFlags.None, timeout.Token);
            if (count == 0)
            {
                throw new EndOfStreamException($"closed after {read} of {buffer.Length} bytes");
            }

            read += count;
        }
    }
}
