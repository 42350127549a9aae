using System.Buffers;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// The payload of <see cref="HandOverKind.Connection"/> and <see cref="HandOverKind.SessionState"/>: the endpoint's name,
/// then the bytes the server wrote (a connection snapshot or the shared session state, docs/upgrade-connections.md).
/// </summary>
internal static class EndpointPayload
{
    public static byte[] Write(string endpoint, Action<IBufferWriter<byte>> write)
    {
        var written = new ArrayBufferWriter<byte>();
        write(written);
        return HandOverMessage.Build(w =>
        {
            w.Write(endpoint);
            w.Write(written.WrittenCount);
            w.Write(written.WrittenSpan);
        });
    }

    /// <exception cref="InvalidDataException">A payload too short for what it says it holds.</exception>
    public static (string Endpoint, byte[] Data) Read(HandOverMessage message)
    {
        try
        {
            using var reader = message.Reader();
            var endpoint = reader.ReadString();
            var length = reader.ReadInt32();
            var data = reader.ReadBytes(length);
            return data.Length == length ? (endpoint, data) : throw new InvalidDataException($"a {message.Kind} message cut short");
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"a {message.Kind} message cut short");
        }
    }
}
