namespace PluggableNet.Host.Upgrade;

/// <summary>A <see cref="HandOverKind.Connection"/> message's payload: the endpoint's name and the snapshot blob (the descriptor rides along).</summary>
internal static class ConnectionSnapshotCodec
{
    public static byte[] Write(ConnectionSnapshot snapshot) => HandOverMessage.Build(w =>
    {
        w.Write(snapshot.Endpoint);
        w.Write(snapshot.State.Length);
        w.Write(snapshot.State);
    });

    /// <summary>The snapshot of <paramref name="message"/>; its one descriptor becomes the snapshot's.</summary>
    public static ConnectionSnapshot Read(HandOverMessage message)
    {
        if (message.Descriptors.Length != 1)
        {
            message.CloseDescriptors();
            throw new InvalidDataException($"a Connection message carries one descriptor, not {message.Descriptors.Length}");
        }

        using var reader = message.Reader();
        var endpoint = reader.ReadString();
        var state = reader.ReadBytes(reader.ReadInt32());
        return new ConnectionSnapshot(endpoint, message.Descriptors[0], state);
    }
}
