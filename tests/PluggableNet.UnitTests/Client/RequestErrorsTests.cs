using PluggableNet.Client;
using PluggableNet.Protocol.V2;

namespace PluggableNet.UnitTests.Client;

/// <summary>What each v2 ERROR code tells a caller: processed or not, resent or failed; unknown codes read as INTERNAL_ERROR.</summary>
public sealed class RequestErrorsTests
{
    [Theory]
    [InlineData(ErrorCode.PluginFault, true, false)]
    [InlineData(ErrorCode.ProcessTimeout, true, false)]
    [InlineData(ErrorCode.AnswerTooLarge, true, false)]
    [InlineData(ErrorCode.InternalError, true, false)]
    [InlineData(ErrorCode.ProtocolError, true, false)]
    [InlineData(ErrorCode.ShuttingDown, false, true)]
    [InlineData(ErrorCode.Overloaded, false, true)]
    [InlineData(ErrorCode.FrameTooLarge, false, false)]
    [InlineData(ErrorCode.PluginUnavailable, true, false)]
    public void EachCodeSaysWhetherTheRequestWasProcessedAndIsResent(ErrorCode code, bool mayHaveBeenProcessed, bool resent)
    {
        Assert.Equal(mayHaveBeenProcessed, RequestErrors.MayHaveBeenProcessed(code));
        Assert.Equal(resent, RequestErrors.IsResendable(code));
        Assert.Equal(mayHaveBeenProcessed, new PluggableNetRequestException(code, "x").MayHaveBeenProcessed);
    }

    [Theory]
    [InlineData(2, ErrorCode.PluginFault)]
    [InlineData(9, ErrorCode.PingTimeout)]
    [InlineData(10, ErrorCode.PluginUnavailable)]
    [InlineData(11, ErrorCode.InternalError)]
    [InlineData(65535, ErrorCode.InternalError)]
    public void AnUnknownCodeReadsAsInternalError(int received, ErrorCode code) =>
        Assert.Equal(code, RequestErrors.Normalize((ushort)received));
}
