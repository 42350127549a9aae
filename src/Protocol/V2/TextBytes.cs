using System.Text;

namespace PluggableNet.Protocol.V2;

/// <summary>UTF-8 reasons in control frames, cut to a budget at a character boundary, never mid-character.</summary>
internal static class TextBytes
{
    public static int Length(string text, int max)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        return length <= max ? length : Fit(text, max);
    }

    public static int Write(string text, Span<byte> destination, int max)
    {
        var length = Length(text, max);
        Encoding.UTF8.TryGetBytes(text.AsSpan(0, CharsFitting(text, length)), destination, out var written);
        return written;
    }

    private static int Fit(string text, int max) => Encoding.UTF8.GetByteCount(text.AsSpan(0, CharsFitting(text, max)));

    /// <summary>How many leading chars of <paramref name="text"/> encode into at most <paramref name="max"/> bytes.</summary>
    private static int CharsFitting(string text, int max)
    {
        var bytes = 0;
        var index = 0;
        while (index < text.Length)
        {
            var step = char.IsHighSurrogate(text[index]) && index + 1 < text.Length ? 2 : 1;
            var size = Encoding.UTF8.GetByteCount(text.AsSpan(index, step));
            if (bytes + size > max)
            {
                break;
            }

            bytes += size;
            index += step;
        }

        return index;
    }
}
