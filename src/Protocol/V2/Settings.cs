using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PluggableNet.Protocol.V2;

/// <summary>
/// The SETTINGS frame the server sends right after its preface: entries <c>key:u16be | length:u16be | value</c>,
/// numbers as <c>u32be</c>, texts as UTF-8. A reader ignores keys it does not know and keeps the defaults below for
/// keys that are absent.
/// </summary>
public sealed record Settings
{
    /// <summary>Key 1: the largest REQUEST payload the server accepts.</summary>
    public uint MaxFrameBytes { get; init; } = 99_999;

    /// <summary>Key 2: requests one connection may have in flight (sent, neither answered nor failed).</summary>
    public uint MaxConcurrentRequests { get; init; } = 100;

    /// <summary>Key 3: after this long without a frame from the client the server sends PING (0: never).</summary>
    public uint PingIntervalMs { get; init; }

    /// <summary>Key 4: how long the server waits for the PONG before closing the connection as half-open.</summary>
    public uint PingTimeoutMs { get; init; }

    /// <summary>Key 5: the largest ANSWER payload the server sends.</summary>
    public uint MaxAnswerBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Key 16: the server's name and version, e.g. <c>PluggableNet/1.0.0</c>.</summary>
    public string Server { get; init; } = string.Empty;

    /// <summary>Key 17: the plugin serving when the connection opened, e.g. <c>Reverse/1.0.0</c>.</summary>
    public string Plugin { get; init; } = string.Empty;

    private enum Key : ushort
    {
        MaxFrameBytes = 1,
        MaxConcurrentRequests = 2,
        PingIntervalMs = 3,
        PingTimeoutMs = 4,
        MaxAnswerBytes = 5,
        Server = 16,
        Plugin = 17,
    }

    /// <summary>Writes the payload (no frame header) to <paramref name="destination"/>.</summary>
    public void Write(IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        WriteNumber(destination, Key.MaxFrameBytes, MaxFrameBytes);
        WriteNumber(destination, Key.MaxConcurrentRequests, MaxConcurrentRequests);
        WriteNumber(destination, Key.PingIntervalMs, PingIntervalMs);
        WriteNumber(destination, Key.PingTimeoutMs, PingTimeoutMs);
        WriteNumber(destination, Key.MaxAnswerBytes, MaxAnswerBytes);
        WriteText(destination, Key.Server, Server);
        WriteText(destination, Key.Plugin, Plugin);
    }

    /// <summary>Reads a payload; false when an entry runs past the end or a number is not 4 bytes (a protocol error).</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, out Settings settings)
    {
        settings = new Settings();
        while (!payload.IsEmpty)
        {
            if (payload.Length < 4)
            {
                return false;
            }

            var key = (Key)BinaryPrimitives.ReadUInt16BigEndian(payload);
            var length = BinaryPrimitives.ReadUInt16BigEndian(payload[2..]);
            if (payload.Length - 4 < length)
            {
                return false;
            }

            var value = payload.Slice(4, length);
            payload = payload[(4 + length)..];
            var isNumber = key is Key.MaxFrameBytes or Key.MaxConcurrentRequests or Key.PingIntervalMs or Key.PingTimeoutMs or Key.MaxAnswerBytes;
            if (isNumber && length != sizeof(uint))
            {
                return false;
            }

            settings = key switch
            {
                Key.MaxFrameBytes => settings with { MaxFrameBytes = BinaryPrimitives.ReadUInt32BigEndian(value) },
                Key.MaxConcurrentRequests => settings with { MaxConcurrentRequests = BinaryPrimitives.ReadUInt32BigEndian(value) },
                Key.MaxAnswerBytes => settings with { MaxAnswerBytes = BinaryPrimitives.ReadUInt32BigEndian(value) },
                Key.PingIntervalMs => settings with { PingIntervalMs = BinaryPrimitives.ReadUInt32BigEndian(value) },
                Key.PingTimeoutMs => settings with { PingTimeoutMs = BinaryPrimitives.ReadUInt32BigEndian(value) },
                Key.Server => settings with { Server = Encoding.UTF8.GetString(value) },
                Key.Plugin => settings with { Plugin = Encoding.UTF8.GetString(value) },
                _ => settings,
            };
        }

        return true;
    }

    private static void WriteNumber(IBufferWriter<byte> destination, Key key, uint value)
    {
        var span = destination.GetSpan(8);
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)key);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], sizeof(uint));
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], value);
        destination.Advance(8);
    }

    private static void WriteText(IBufferWriter<byte> destination, Key key, string text)
    {
        var length = TextBytes.Length(text, ushort.MaxValue);
        var span = destination.GetSpan(4 + length);
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)key);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)length);
        TextBytes.Write(text, span[4..], ushort.MaxValue);
        destination.Advance(4 + length);
    }
}
