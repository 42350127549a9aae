using System.Buffers;
using PluggableNet.Protocol.V2;

namespace PluggableNet.Server.Connections;

/// <summary>Writes v2 frames into a connection's <see cref="OutputBuffer"/>: a header reserved first, filled once the payload is known.</summary>
internal static class V2Output
{
    /// <summary>The largest answer a v2 frame carries from this host: what the client library accepts by default.</summary>
    public const int MaxAnswerBytes = 16 * 1024 * 1024;

    /// <summary>Reserves a header; the payload is written after it, then <see cref="EndFrame"/> fills it in.</summary>
    public static int BeginFrame(OutputBuffer output) => output.Reserve(FrameHeader.Size);

    /// <summary>The payload length written since <paramref name="headerAt"/>.</summary>
    public static int PayloadLength(OutputBuffer output, int headerAt) => output.Position - headerAt - FrameHeader.Size;

    public static void EndFrame(OutputBuffer output, int headerAt, FrameType type, uint id)
    {
        var length = PayloadLength(output, headerAt);
        new FrameHeader((uint)length, type, 0, id).Write(output.Slice(headerAt, FrameHeader.Size));
    }

    public static void Frame(OutputBuffer output, FrameType type, uint id, ReadOnlySpan<byte> payload)
    {
        var headerAt = BeginFrame(output);
        output.Write(payload);
        EndFrame(output, headerAt, type, id);
    }

    public static void Error(OutputBuffer output, uint id, ErrorCode code, string text)
    {
        var headerAt = BeginFrame(output);
        new ErrorPayload(code, text).Write(output);
        EndFrame(output, headerAt, FrameType.Error, id);
    }

    public static void GoAway(OutputBuffer output, uint lastId, ErrorCode code, string text)
    {
        var headerAt = BeginFrame(output);
        new GoAwayPayload(lastId, code, text).Write(output);
        EndFrame(output, headerAt, FrameType.GoAway, 0);
    }

    /// <summary>The host's side of the negotiation: its preface, then its SETTINGS.</summary>
    public static void PrefaceAndSettings(OutputBuffer output, Settings settings)
    {
        output.Write(Preface.Bytes);
        var headerAt = BeginFrame(output);
        settings.Write(output);
        EndFrame(output, headerAt, FrameType.Settings, 0);
    }
}
