using PluggableNet.Protocol.V2;

namespace PluggableNet.Client;

/// <summary>What an ERROR code means for the request it names (docs/protocol.md, "ERROR codes"). Pure.</summary>
internal static class RequestErrors
{
    /// <summary>The code as received; a code this client does not know reads as <see cref="ErrorCode.InternalError"/>, as the specification says.</summary>
    public static ErrorCode Normalize(ushort code) =>
        code <= (ushort)ErrorCode.PluginUnavailable ? (ErrorCode)code : ErrorCode.InternalError;

    /// <summary>False only for the codes that say the server did not process the request.</summary>
    public static bool MayHaveBeenProcessed(ErrorCode code) =>
        code is not (ErrorCode.ShuttingDown or ErrorCode.Overloaded or ErrorCode.FrameTooLarge);

    /// <summary>
    /// Whether the request is sent again rather than failed: the server did not process it and another connection (or
    /// the same one, later) can. <see cref="ErrorCode.FrameTooLarge"/> is not: it would be refused again.
    /// </summary>
    public static bool IsResendable(ErrorCode code) => code is ErrorCode.ShuttingDown or ErrorCode.Overloaded;
}
