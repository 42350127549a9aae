using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text;

namespace PluggableNet.Server.Framing;

/// <summary>
/// Reads the PROXY protocol header (HAProxy's specification, versions 1 and 2) a proxy sends before the relayed bytes.
/// Stateless; judged on what has arrived, never on an announced length beyond the bounds below, so a hostile peer
/// costs at most <see cref="MaxV2Bytes"/> of buffering.
/// </summary>
internal static class ProxyHeaderReader
{
    /// <summary>The longest v1 line, CRLF included (the specification's own bound).</summary>
    public const int MaxV1Bytes = 107;

    /// <summary>The longest v2 header accepted: 16 fixed bytes, the addresses and room for the TLVs HAProxy sends.</summary>
    public const int MaxV2Bytes = 16 + 2048;

    private const int V2FixedBytes = 16;

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    private static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>
    /// Reads the header at the start of <paramref name="input"/>. On <see cref="ProxyHeaderStatus.Valid"/>,
    /// <paramref name="consumed"/> bytes belong to it; on <see cref="ProxyHeaderStatus.Invalid"/>, <paramref name="error"/>
    /// says why, for the log.
    /// </summary>
    public static ProxyHeaderStatus TryRead(ReadOnlySpan<byte> input, out ProxyHeader header, out int consumed, out string? error)
    {
        header = default;
        consumed = 0;
        error = null;
        if (input.IsEmpty)
        {
            return ProxyHeaderStatus.Incomplete;
        }

        if (StartsLike(input, V2Signature))
        {
            return input.Length < V2Signature.Length ? ProxyHeaderStatus.Incomplete : ReadV2(input, out header, out consumed, out error);
        }

        if (StartsLike(input, V1Prefix))
        {
            return input.Length < V1Prefix.Length ? ProxyHeaderStatus.Incomplete : ReadV1(input, out header, out consumed, out error);
        }

        error = "no PROXY protocol header where the listener requires one";
        return ProxyHeaderStatus.Invalid;
    }

    private static bool StartsLike(ReadOnlySpan<byte> input, ReadOnlySpan<byte> prefix)
    {
        var length = Math.Min(input.Length, prefix.Length);
        return input[..length].SequenceEqual(prefix[..length]);
    }

    private static ProxyHeaderStatus ReadV1(ReadOnlySpan<byte> input, out ProxyHeader header, out int consumed, out string? error)
    {
        header = default;
        consumed = 0;
        error = null;
        var end = input[..Math.Min(input.Length, MaxV1Bytes)].IndexOf("\r\n"u8);
        if (end < 0)
        {
            if (input.Length < MaxV1Bytes)
            {
                return ProxyHeaderStatus.Incomplete;
            }

            error = $"PROXY v1 line longer than {MaxV1Bytes} bytes";
            return ProxyHeaderStatus.Invalid;
        }

        var line = Encoding.ASCII.GetString(input[V1Prefix.Length..end]);
        var parts = line.Split(' ');
        consumed = end + 2;
        if (parts[0] == "UNKNOWN")
        {
            header = new ProxyHeader(1, null, null);
            return ProxyHeaderStatus.Valid;
        }

        var family = parts[0] switch
        {
            "TCP4" => System.Net.Sockets.AddressFamily.InterNetwork,
            "TCP6" => System.Net.Sockets.AddressFamily.InterNetworkV6,
            _ => (System.Net.Sockets.AddressFamily?)null,
        };
        if (family is null || parts.Length != 5
            || !TryAddress(parts[1], family.Value, out var source) || !TryAddress(parts[2], family.Value, out var destination)
            || !TryPort(parts[3], out var sourcePort) || !TryPort(parts[4], out var destinationPort))
        {
            error = $"malformed PROXY v1 line '{line}'";
            return ProxyHeaderStatus.Invalid;
        }

        header = new ProxyHeader(1, new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort));
        return ProxyHeaderStatus.Valid;
    }

    private static ProxyHeaderStatus ReadV2(ReadOnlySpan<byte> input, out ProxyHeader header, out int consumed, out string? error)
    {
        header = default;
        consumed = 0;
        error = null;
        if (input.Length < V2FixedBytes)
        {
            return ProxyHeaderStatus.Incomplete;
        }

        var versionAndCommand = input[12];
        var familyAndTransport = input[13];
        var length = V2FixedBytes + BinaryPrimitives.ReadUInt16BigEndian(input[14..]);
        if (versionAndCommand >> 4 != 2 || (versionAndCommand & 0x0F) > 1)
        {
            error = $"PROXY v2 version/command 0x{versionAndCommand:X2} is not 2/LOCAL or 2/PROXY";
            return ProxyHeaderStatus.Invalid;
        }

        if (length > MaxV2Bytes)
        {
            error = $"PROXY v2 header of {length} bytes, above {MaxV2Bytes}";
            return ProxyHeaderStatus.Invalid;
        }

        if (input.Length < length)
        {
            return ProxyHeaderStatus.Incomplete;
        }

        consumed = length;
        var addresses = input[V2FixedBytes..length];
        var isLocal = (versionAndCommand & 0x0F) == 0;
        switch (familyAndTransport)
        {
            case 0x11 when !isLocal && addresses.Length >= 12:
                header = new ProxyHeader(
                    2,
                    new IPEndPoint(new IPAddress(addresses[..4]), BinaryPrimitives.ReadUInt16BigEndian(addresses[8..])),
                    new IPEndPoint(new IPAddress(addresses[4..8]), BinaryPrimitives.ReadUInt16BigEndian(addresses[10..])));
                return ProxyHeaderStatus.Valid;
            case 0x21 when !isLocal && addresses.Length >= 36:
                header = new ProxyHeader(
                    2,
                    new IPEndPoint(new IPAddress(addresses[..16]), BinaryPrimitives.ReadUInt16BigEndian(addresses[32..])),
                    new IPEndPoint(new IPAddress(addresses[16..32]), BinaryPrimitives.ReadUInt16BigEndian(addresses[34..])));
                return ProxyHeaderStatus.Valid;
            case 0x11 or 0x21 when !isLocal:
                error = $"PROXY v2 address block of {addresses.Length} bytes is too short for its family 0x{familyAndTransport:X2}";
                return ProxyHeaderStatus.Invalid;
            default:
                // LOCAL (a proxy's health check), UNSPEC, UDP or Unix: the connection's own endpoints stand.
                header = new ProxyHeader(2, null, null);
                return ProxyHeaderStatus.Valid;
        }
    }

    private static bool TryAddress(string text, System.Net.Sockets.AddressFamily family, out IPAddress address) =>
        IPAddress.TryParse(text, out address!) && address.AddressFamily == family;

    /// <summary>A port as the specification writes it: 1 to 5 digits, 0 to 65535, no sign and no leading zero.</summary>
    private static bool TryPort(string text, out int port)
    {
        port = 0;
        return text.Length is >= 1 and <= 5 && (text.Length == 1 || text[0] != '0') && text.All(char.IsAsciiDigit)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535;
    }
}
