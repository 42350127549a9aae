using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace PluggableNet.Server.Connections.Handover;

/// <summary>Reads the big-endian fields of a snapshot's written form; anything short or malformed is <see cref="InvalidDataException"/>.</summary>
internal ref struct SnapshotReader(ReadOnlySpan<byte> input)
{
    // A session's state or a received frame may be large, but never this large: a length above it is corruption.
    private const int MaxField = 1 << 30;

    private ReadOnlySpan<byte> _rest = input;

    public void ExpectVersion()
    {
        var version = Byte();
        if (version != ConnectionSnapshot.FormatVersion)
        {
            throw new InvalidDataException($"Connection snapshot format version {version}; this build reads version {ConnectionSnapshot.FormatVersion} only.");
        }
    }

    public readonly void ExpectEnd()
    {
        if (!_rest.IsEmpty)
        {
            throw new InvalidDataException($"{_rest.Length} byte(s) after the end of the snapshot.");
        }
    }

    public byte Byte() => Take(1)[0];

    public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint UInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public byte[] Bytes() => Take(Length()).ToArray();

    public string String() => Encoding.UTF8.GetString(Take(Length()));

    /// <summary>Family byte (0 none, 4, 6), address bytes, big-endian port; IPv6 with its scope id.</summary>
    public IPEndPoint? EndPoint()
    {
        var family = Byte();
        switch (family)
        {
            case 0:
                return null;
            case 4:
                return new IPEndPoint(new IPAddress(Take(4)), BinaryPrimitives.ReadUInt16BigEndian(Take(2)));
            case 6:
                var address = new IPAddress(Take(16), UInt32());
                return new IPEndPoint(address, BinaryPrimitives.ReadUInt16BigEndian(Take(2)));
            default:
                throw new InvalidDataException($"Address family {family} in a connection snapshot.");
        }
    }

    private int Length()
    {
        var length = Int32();
        if (length < 0 || length > MaxField)
        {
            throw new InvalidDataException($"A field of {length} bytes in a connection snapshot.");
        }

        return length;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (_rest.Length < count)
        {
            throw new InvalidDataException("The connection snapshot ends too early.");
        }

        var taken = _rest[..count];
        _rest = _rest[count..];
        return taken;
    }
}
