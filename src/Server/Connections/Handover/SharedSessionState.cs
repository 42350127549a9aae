using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PluggableNet.Server.Connections.Handover;

/// <summary>
/// What a session plugin's <c>ExportSharedState</c> wrote, once per detach batch, after the sessions' gate went quiet:
/// the adopting server imports it (<see cref="PluggableServer.ImportSharedSessionState"/>) before the first session.
/// Written form: version byte, then <c>u32</c> length and UTF-8 of the plugin version, then <c>u32</c> length and the bytes.
/// </summary>
internal sealed record SharedSessionState(string FromVersion, byte[] Data)
{
    public void Write(IBufferWriter<byte> output)
    {
        var version = Encoding.UTF8.GetBytes(FromVersion);
        var span = output.GetSpan(1 + 4 + version.Length + 4 + Data.Length);
        span[0] = ConnectionSnapshot.FormatVersion;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], version.Length);
        version.CopyTo(span[5..]);
        BinaryPrimitives.WriteInt32BigEndian(span[(5 + version.Length)..], Data.Length);
        Data.CopyTo(span[(9 + version.Length)..]);
        output.Advance(9 + version.Length + Data.Length);
    }

    /// <exception cref="InvalidDataException">Another format version, or bytes that are not one.</exception>
    public static SharedSessionState Read(ReadOnlySpan<byte> input)
    {
        var reader = new SnapshotReader(input);
        reader.ExpectVersion();
        var version = reader.String();
        var data = reader.Bytes();
        reader.ExpectEnd();
        return new SharedSessionState(version, data);
    }
}
