using System.Buffers.Binary;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// The frames between the host and a plugin worker, over their socket pair: a 9-byte header (payload length and
/// request id, both little-endian u32, then the kind), then the payload. Both ends are this code, same build, so
/// there is no negotiation; the worker's first frame says whether the plugin loaded.
/// </summary>
internal static class WorkerFrames
{
    public const int HeaderLength = 9;

    /// <summary>Host → worker, once: the plugins folder, the plugin's name, then its settings as <c>key=value</c> lines.</summary>
    public const byte Init = 1;

    /// <summary>Host → worker: one request payload.</summary>
    public const byte Request = 2;

    /// <summary>Worker → host: the plugin loaded; payload: version, execution, whether it is a session plugin, build (lines).</summary>
    public const byte Ready = 3;

    /// <summary>Worker → host: the plugin did not load; payload: the reason. The worker exits after it.</summary>
    public const byte LoadFailed = 4;

    /// <summary>Worker → host: the answer payload to request <c>id</c>.</summary>
    public const byte Answer = 5;

    /// <summary>Worker → host: the plugin threw on request <c>id</c>; payload: the exception's type name.</summary>
    public const byte Fault = 6;

    public static void WriteHeader(Span<byte> destination, int length, uint id, byte kind)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], id);
        destination[8] = kind;
    }

    /// <summary>Reads a header; false if fewer than <see cref="HeaderLength"/> bytes are there.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> source, out int length, out uint id, out byte kind)
    {
        if (source.Length < HeaderLength)
        {
            length = 0;
            id = 0;
            kind = 0;
            return false;
        }

        length = BinaryPrimitives.ReadInt32LittleEndian(source);
        id = BinaryPrimitives.ReadUInt32LittleEndian(source[4..]);
        kind = source[8];
        return true;
    }
}
