using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace PluggableNet.Server.Interop;

/// <summary>Converts between <see cref="IPEndPoint"/> and Linux <c>sockaddr_in</c>/<c>sockaddr_in6</c>.</summary>
internal static class SocketAddressCodec
{
    /// <summary>Large enough for <c>sockaddr_in6</c> (28 bytes).</summary>
    public const int MaxLength = 28;

    public static int Write(IPEndPoint endPoint, Span<byte> destination)
    {
        destination[..MaxLength].Clear();
        if (endPoint.AddressFamily == AddressFamily.InterNetwork)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination, Libc.AF_INET);
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)endPoint.Port);
            endPoint.Address.TryWriteBytes(destination[4..8], out _);
            return 16;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(destination, Libc.AF_INET6);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)endPoint.Port);
        endPoint.Address.TryWriteBytes(destination[8..24], out _);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[24..], (uint)endPoint.Address.ScopeId);
        return 28;
    }

    public static IPEndPoint? Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < 16)
        {
            return null;
        }

        var family = BinaryPrimitives.ReadUInt16LittleEndian(source);
        var port = BinaryPrimitives.ReadUInt16BigEndian(source[2..]);
        return family switch
        {
            Libc.AF_INET => new IPEndPoint(new IPAddress(source[4..8]), port),
            Libc.AF_INET6 when source.Length >= 28 => new IPEndPoint(new IPAddress(source[8..24], BinaryPrimitives.ReadUInt32LittleEndian(source[24..])), port),
            _ => null,
        };
    }
}
