using System.Text;

namespace PluggableNet.Micro;

/// <summary>Builds wire bytes: <paramref name="count"/> frames of <paramref name="payloadBytes"/> each, 5-digit ASCII headers.</summary>
internal static class Frames
{
    public static byte[] Build(int count, int payloadBytes)
    {
        var payload = new byte[payloadBytes];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)('a' + (i % 26));
        }

        var header = Encoding.ASCII.GetBytes(payloadBytes.ToString("D5", System.Globalization.CultureInfo.InvariantCulture));
        var wire = new byte[count * (header.Length + payloadBytes)];
        for (var i = 0; i < count; i++)
        {
            var offset = i * (header.Length + payloadBytes);
            header.CopyTo(wire, offset);
            payload.CopyTo(wire, offset + header.Length);
        }

        return wire;
    }
}
