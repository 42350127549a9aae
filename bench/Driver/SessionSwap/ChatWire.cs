using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PluggableNet.Bench.Driver.SessionSwap;

/// <summary>
/// Protocol v1 with the host's default framing (a 5-digit ASCII length, then the payload) over blocking sockets: the
/// Chat plugin's text commands, one frame each; its answers come back in request order.
/// </summary>
internal static class ChatWire
{
    private const int HeaderDigits = 5;

    /// <summary>A loopback connection with Nagle off and every send and receive bounded by <paramref name="timeout"/>.</summary>
    public static Socket Connect(int port, TimeSpan timeout)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            ReceiveTimeout = (int)timeout.TotalMilliseconds,
            SendTimeout = (int)timeout.TotalMilliseconds,
        };
        try
        {
            socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The commands as consecutive frames, to be sent at once.</summary>
    public static byte[] Frames(params string[] commands)
    {
        var frames = new List<byte>();
        foreach (var command in commands)
        {
            var payload = Encoding.UTF8.GetBytes(command);
            frames.AddRange(Encoding.ASCII.GetBytes(payload.Length.ToString("D5", System.Globalization.CultureInfo.InvariantCulture)));
            frames.AddRange(payload);
        }

        return [.. frames];
    }

    public static void Send(Socket socket, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[socket.Send(bytes)..];
        }
    }

    /// <summary>Reads one answer's payload into <paramref name="buffer"/>; returns its length. Allocates nothing.</summary>
    public static int Receive(Socket socket, byte[] buffer)
    {
        ReceiveExactly(socket, buffer.AsSpan(0, HeaderDigits));
        var length = 0;
        foreach (var digit in buffer.AsSpan(0, HeaderDigits))
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                throw new IOException($"an answer header that is not {HeaderDigits} digits: {Encoding.ASCII.GetString(buffer, 0, HeaderDigits)}");
            }

            length = (length * 10) + (digit - '0');
        }

        if (length > buffer.Length)
        {
            throw new IOException($"an answer of {length} B, larger than the {buffer.Length} B expected");
        }

        ReceiveExactly(socket, buffer.AsSpan(0, length));
        return length;
    }

    public static string ReceiveText(Socket socket, byte[] buffer) => Encoding.UTF8.GetString(buffer, 0, Receive(socket, buffer));

    /// <summary>One request, its answer as text.</summary>
    public static string Ask(Socket socket, string command, byte[] buffer)
    {
        Send(socket, Frames(command));
        return ReceiveText(socket, buffer);
    }

    private static void ReceiveExactly(Socket socket, Span<byte> span)
    {
        while (!span.IsEmpty)
        {
            var read = socket.Receive(span);
            if (read == 0)
            {
                throw new IOException("the host closed the connection");
            }

            span = span[read..];
        }
    }
}
