using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PluggableNet.Protocol.V2;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// A raw TLS client for tests: a handshake with chosen SNI, versions and client certificate, the server's certificate
/// kept whatever it is (the tests check it by thumbprint), then v1 frames or v2 frames after the preface, inside TLS.
/// </summary>
internal sealed class TlsClient : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private readonly Socket _socket;

    private TlsClient(Socket socket, SslStream stream)
    {
        _socket = socket;
        Stream = stream;
    }

    public SslStream Stream { get; }

    /// <summary>The certificate the server presented.</summary>
    public X509Certificate2 ServerCertificate { get; private set; } = null!;

    public SslProtocols Protocol => Stream.SslProtocol;

    /// <summary>
    /// Connects and runs the handshake. <paramref name="serverName"/> is sent as SNI (null: none);
    /// <paramref name="clientCertificate"/> is presented when the server asks for one.
    /// </summary>
    public static async Task<TlsClient> ConnectAsync(IPEndPoint endPoint, string? serverName = null, SslProtocols protocols = SslProtocols.None, X509Certificate2? clientCertificate = null, byte[]? before = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        if (before is not null)
        {
            await socket.SendAsync(before, SocketFlags.None);
        }

        X509Certificate2? presented = null;
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        var client = new TlsClient(socket, stream);
        var options = new SslClientAuthenticationOptions
        {
            // No name: .NET sends no SNI for an address.
            TargetHost = serverName ?? "127.0.0.1",
            EnabledSslProtocols = protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                presented = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                return true;
            },
            LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
        };
        try
        {
            using var timeout = new CancellationTokenSource(s_timeout);
            await stream.AuthenticateAsClientAsync(options, timeout.Token);
        }
        catch
        {
            client.Dispose();
            throw;
        }

        client.ServerCertificate = presented ?? throw new InvalidOperationException("the server presented no certificate");
        return client;
    }

    /// <summary>One v1 request (5 ASCII digits) and its answer.</summary>
    public async Task<string> AskAsync(string payload)
    {
        await WriteAsync(Frames.Ascii(payload));
        var header = await ReadExactlyAsync(5);
        var length = int.Parse(Encoding.ASCII.GetString(header), System.Globalization.CultureInfo.InvariantCulture);
        return Encoding.UTF8.GetString(await ReadExactlyAsync(length));
    }

    /// <summary>Sends the v2 preface and reads the server's preface and SETTINGS.</summary>
    public async Task OpenV2Async()
    {
        await WriteAsync(Preface.Bytes.ToArray());
        Assert.Equal(Preface.Bytes.ToArray(), await ReadExactlyAsync(Preface.Bytes.Length));
        var settings = await ReadV2FrameAsync();
        Assert.Equal(FrameType.Settings, settings.Type);
    }

    /// <summary>One v2 REQUEST and the frame that answers it (PINGs skipped).</summary>
    public async Task<string> AskV2Async(uint id, string payload)
    {
        await WriteAsync(V2Connection.Request(id, payload));
        while (true)
        {
            var frame = await ReadV2FrameAsync();
            if (frame.Type == FrameType.Ping)
            {
                continue;
            }

            Assert.True(frame.Type == FrameType.Answer && frame.Id == id, $"expected the ANSWER to {id}, got {frame}");
            return frame.Text;
        }
    }

    public async Task WriteAsync(byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(s_timeout);
        await Stream.WriteAsync(bytes, timeout.Token);
    }

    /// <summary>True once the server ended the stream (close_notify, FIN, reset or an alert) within the timeout.</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? s_timeout);
        var buffer = new byte[4096];
        try
        {
            while (await Stream.ReadAsync(buffer, cancellation.Token) > 0)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception exception) when (exception is IOException or AuthenticationException or SocketException)
        {
            return true;
        }
    }

    private async Task<V2Frame> ReadV2FrameAsync()
    {
        var header = await ReadExactlyAsync(FrameHeader.Size);
        Assert.True(FrameHeader.TryRead(header, out var parsed));
        return new V2Frame(parsed.Type, parsed.Id, await ReadExactlyAsync((int)parsed.Length));
    }

    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        using var timeout = new CancellationTokenSource(s_timeout);
        var buffer = new byte[count];
        await Stream.ReadExactlyAsync(buffer, timeout.Token);
        return buffer;
    }

    public void Dispose()
    {
        Stream.Dispose();
        _socket.Dispose();
    }
}
