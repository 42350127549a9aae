using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace PluggableNet.Server.Connections;

/// <summary>
/// What per-address limits count connections under: an IPv4 address, or an IPv6 address's /64 (the block one host or
/// one customer line gets, so a client cannot escape its limit by taking the next address of its own prefix). An
/// IPv4-mapped IPv6 address (<c>::ffff:192.0.2.1</c>, from a dual-stack listener) is its IPv4 address.
/// </summary>
internal readonly record struct AddressKey(ulong Prefix, bool IsV6)
{
    /// <summary>The key of <paramref name="peer"/>; false for anything that is no IP endpoint (nothing to count).</summary>
    public static bool TryFrom(EndPoint? peer, out AddressKey key)
    {
        if (peer is IPEndPoint { Address: var address })
        {
            return TryFrom(address, out key);
        }

        key = default;
        return false;
    }

    /// <inheritdoc cref="TryFrom(EndPoint?, out AddressKey)"/>
    public static bool TryFrom(IPAddress address, out AddressKey key)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork && address.TryWriteBytes(bytes, out _))
        {
            key = new AddressKey(BinaryPrimitives.ReadUInt32BigEndian(bytes), IsV6: false);
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.TryWriteBytes(bytes, out _))
        {
            // ::ffff:a.b.c.d: ten zero bytes, two 0xff, then the IPv4 address.
            key = IsV4Mapped(bytes)
                ? new AddressKey(BinaryPrimitives.ReadUInt32BigEndian(bytes[12..]), IsV6: false)
                : new AddressKey(BinaryPrimitives.ReadUInt64BigEndian(bytes), IsV6: true);
            return true;
        }

        key = default;
        return false;
    }

    /// <summary><c>192.0.2.1</c>, or the /64 as <c>2001:db8:1:2::/64</c>: for log lines.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        if (!IsV6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)Prefix);
            return new IPAddress(bytes[..4]).ToString();
        }

        BinaryPrimitives.WriteUInt64BigEndian(bytes, Prefix);
        return new IPAddress(bytes) + "/64";
    }

    private static bool IsV4Mapped(ReadOnlySpan<byte> bytes) =>
        bytes[..10].IndexOfAnyExcept((byte)0) < 0 && bytes[10] == 0xff && bytes[11] == 0xff;
}
