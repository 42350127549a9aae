using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PluggableNet.Bench.SwapBench;

/// <summary>A loopback client for the host's default framing: a 5-digit ASCII length, then the payload.</summary>
internal sealed class FramedConnection : IDisposable
{
    private const int HeaderLength = 5;
    private readonly Socket _socket;
    private readonly byte[] _header = new byte[HeaderLength];

    public FramedConnection(int port)
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken)..];
        }
    }

    public async Task<string> ReadAsync(CancellationToken cancellationToken)
    {
        await ReadExactlyAsync(_header, cancellationToken);
        var length = int.Parse(Encoding.ASCII.GetString(_header), CultureInfo.InvariantCulture);
        var payload = new byte[length];
        await ReadExactlyAsync(payload, cancellationToken);
        return Encoding.ASCII.GetString(payload);
    }

    public async Task<string> AskAsync(string payload, CancellationToken cancellationToken)
    {
        await SendAsync(Frames.Ascii(payload), cancellationToken);
        return await ReadAsync(cancellationToken);
    }

    private async Task ReadExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException("The host closed the connection.");
            }

            buffer = buffer[read..];
        }
    }

    public void Dispose() => _socket.Dispose();
}
