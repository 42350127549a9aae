namespace PluggableNet.Host.Upgrade;

/// <summary>One received frame: its kind, its payload and the descriptors that came with it (now this process's).</summary>
internal sealed record HandOverMessage(HandOverKind Kind, byte[] Payload, int[] Descriptors)
{
    /// <summary>The payload read with <see cref="BinaryReader"/> (strings length-prefixed, integers little-endian).</summary>
    public BinaryReader Reader() => new(new MemoryStream(Payload, writable: false));

    /// <summary>A payload built with <see cref="BinaryWriter"/>.</summary>
    public static byte[] Build(Action<BinaryWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            write(writer);
        }

        return stream.ToArray();
    }

    /// <summary>Closes descriptors nobody took (a message refused or not understood).</summary>
    public void CloseDescriptors()
    {
        foreach (var fd in Descriptors)
        {
            PluggableNet.Server.Interop.Libc.close(fd);
        }
    }
}
