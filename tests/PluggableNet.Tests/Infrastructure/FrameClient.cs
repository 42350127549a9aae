using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>A plain loopback client speaking the length-prefixed protocol, with deadlines on every read.</summary>
internal sealed class FrameClient : IDisposable
{
    private static readonly TimeSpan s_readTimeout = TimeSpan.FromSeconds(10);
    private readonly int _headerDigits;
    private readonly bool _binary;

    private FrameClient(Socket socket, int headerDigits, bool binary)
    {
        Socket = socket;
        _headerDigits = headerDigits;
        _binary = binary;
    }

    public Socket Socket { get; }

    private int HeaderLength => _binary ? 4 : _headerDigits;

    public static FrameClient Connect(IPEndPoint endPoint, int headerDigits = 5, bool binary = false) => Connect(endPoint, from: null, headerDigits, binary);

    /// <summary>
    /// Connects from the local address <paramref name="from"/> when given: Linux lets a client bind any 127.x address,
    /// so one machine can be several clients to per-address limits (127.0.0.2 storming, 127.0.0.1 served).
    /// </summary>
    public static FrameClient Connect(IPEndPoint endPoint, IPAddress? from, int headerDigits = 5, bool binary = false)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (from is not null)
            {
                socket.Bind(new IPEndPoint(from, 0));
            }

            socket.Connect(endPoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new FrameClient(socket, headerDigits, binary);
    }

    /// <summary>The frame of <paramref name="payload"/> in this client's framing.</summary>
    public byte[] Frame(ReadOnlySpan<byte> payload) => Frames.Encode(payload, _binary, _headerDigits);

    public Task SendRawAsync(ReadOnlyMemory<byte> bytes) => SendAllAsync(bytes);

    public Task SendRawAsync(string ascii) => SendAllAsync(Encoding.ASCII.GetBytes(ascii));

    public Task SendAsync(string payload) => SendAllAsync(Frame(Encoding.UTF8.GetBytes(payload)));

    public Task SendAsync(byte[] payload) => SendAllAsync(Frame(payload));

    /// <summary>Sends one request and reads its answer.</summary>
    public async Task<string> AskAsync(string payload)
    {
        await SendAsync(payload);
        return Encoding.UTF8.GetString(await ReadFrameAsync());
    }

    /// <summary>Reads one answer frame; throws <see cref="EndOfStreamException"/> if the server closed first.</summary>
    public async Task<byte[]> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? s_readTimeout);
        var header = new byte[HeaderLength];
        await ReadExactlyAsync(header, cancellation.Token);
        int length;
        if (_binary)
        {
            length = (int)BinaryPrimitives.ReadUInt32BigEndian(header);
        }
        else if (!int.TryParse(header, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out length))
        {
            throw new InvalidDataException($"Malformed answer header: {Convert.ToHexString(header)} (\"{Encoding.ASCII.GetString(header)}\")");
        }

        var payload = new byte[length];
        await ReadExactlyAsync(payload, cancellation.Token);
        return payload;
    }

    public async Task<string> ReadStringAsync(TimeSpan? timeout = null) => Encoding.UTF8.GetString(await ReadFrameAsync(timeout));

    /// <summary>True once the server has closed (EOF or reset) within the timeout; any bytes before that are ignored.</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? s_readTimeout);
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                if (await Socket.ReceiveAsync(buffer, SocketFlags.None, cancellation.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task SendAllAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await Socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[sent..];
        }
    }

    private async Task ReadExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var read = await Socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException("The server closed the connection.");
            }

            buffer = buffer[read..];
        }
    }

    public void Dispose() => Socket.Dispose();
}
