using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PluggableNet.Server.Connections.Handover;

/// <summary>Writes a snapshot's fields big-endian, as <see cref="SnapshotReader"/> reads them back.</summary>
internal readonly struct SnapshotWriter(IBufferWriter<byte> output)
{
    public void Byte(byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    public void Int32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    public void UInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    public void Int64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    public void Bytes(ReadOnlySpan<byte> value)
    {
        Int32(value.Length);
        output.Write(value);
    }

    public void String(string value) => Bytes(Encoding.UTF8.GetBytes(value));

    public void EndPoint(IPEndPoint? endPoint)
    {
        if (endPoint is null)
        {
            Byte(0);
            return;
        }

        var v4 = endPoint.AddressFamily == AddressFamily.InterNetwork;
        Byte(v4 ? (byte)4 : (byte)6);
        Span<byte> address = stackalloc byte[16];
        endPoint.Address.TryWriteBytes(address, out var written);
        output.Write(address[..written]);
        if (!v4)
        {
            UInt32((uint)endPoint.Address.ScopeId);
        }

        Span<byte> port = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(port, (ushort)endPoint.Port);
        output.Write(port);
    }
}
