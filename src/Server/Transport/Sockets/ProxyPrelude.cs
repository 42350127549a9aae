using System.Net.Sockets;
using PluggableNet.Server.Framing;

namespace PluggableNet.Server.Transport.Sockets;

/// <summary>
/// On a TLS endpoint behind a proxy the PROXY header comes first, in clear, and the TLS handshake right after it, often in
/// the same segment. This reads exactly the header's bytes off the socket and not one byte of the handshake: it peeks,
/// takes what belongs to the header, and waits for more only when everything seen so far is still header.
/// </summary>
internal static class ProxyPrelude
{
    /// <summary>
    /// Fills <paramref name="into"/> with the PROXY header (or, for something that is not one, with what shows it is not);
    /// returns the bytes taken, 0 when the peer closed first. The state machine then judges them as on any endpoint.
    /// </summary>
    public static async ValueTask<int> ReceiveAsync(Socket socket, Memory<byte> into, CancellationToken cancellationToken)
    {
        var taken = 0;
        while (taken < into.Length)
        {
            var peeked = await socket.ReceiveAsync(into[taken..], SocketFlags.Peek, cancellationToken).ConfigureAwait(false);
            if (peeked == 0)
            {
                return taken;
            }

            var status = ProxyHeaderReader.TryRead(into.Span[..(taken + peeked)], out _, out var consumed, out _);
            var take = status == ProxyHeaderStatus.Valid ? consumed - taken : peeked;
            taken += await ReceiveExactlyAsync(socket, into.Slice(taken, take), cancellationToken).ConfigureAwait(false);
            if (status != ProxyHeaderStatus.Incomplete)
            {
                return taken;
            }
        }

        return taken;
    }

    /// <summary>The bytes were peeked, so they are in the kernel's buffer: one receive normally takes them all.</summary>
    private static async ValueTask<int> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var received = await socket.ReceiveAsync(buffer[total..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (received == 0)
            {
                break;
            }

            total += received;
        }

        return total;
    }
}
