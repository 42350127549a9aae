using PluggableNet.Server.Connections;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Framing;

namespace PluggableNet.UnitTests.Connections;

/// <summary>Each bad header and each timeout is counted and throttled under a kind of its own, and every kind is reached.</summary>
public sealed class EventKindsTests
{
    private static readonly HeaderStatus[] s_invalidHeaders = [HeaderStatus.NotDigits, HeaderStatus.ZeroLength, HeaderStatus.TooLarge];

    [Fact]
    public void EveryInvalidHeaderHasItsOwnMetricAndLogKind()
    {
        var kinds = s_invalidHeaders.Select(EventKinds.Of).ToList();

        // V2Violation, ControlFlood and ProxyHeader are not length headers: FrameConnection counts them directly.
        Assert.Equal(Enum.GetValues<ProtocolErrorKind>().Except([ProtocolErrorKind.V2Violation, ProtocolErrorKind.ControlFlood, ProtocolErrorKind.ProxyHeader]).Order(), kinds.Select(k => k.Metric).Order());
        Assert.Equal(kinds.Count, kinds.Select(k => k.Log).Distinct().Count());
        Assert.All(kinds, k => Assert.Equal("Header" + k.Metric, k.Log.ToString()));
    }

    [Fact]
    public void EveryTimeoutKindIsReachedByExactlyOneCloseReason()
    {
        var timeouts = Enum.GetValues<CloseReason>().Select(r => (Reason: r, Kind: EventKinds.TimeoutOf(r))).Where(t => t.Kind is not null).ToList();

        Assert.Equal(Enum.GetValues<TimeoutKind>().Order(), timeouts.Select(t => t.Kind!.Value).Order());
        Assert.All(timeouts, t => Assert.Equal(t.Reason.ToString(), EventKinds.Of(t.Kind!.Value).ToString()));
    }

    [Theory]
    [InlineData(nameof(CloseReason.None))]
    [InlineData(nameof(CloseReason.RemoteClosed))]
    [InlineData(nameof(CloseReason.RemoteReset))]
    [InlineData(nameof(CloseReason.ProtocolError))]
    [InlineData(nameof(CloseReason.PluginFault))]
    [InlineData(nameof(CloseReason.Shutdown))]
    public void ACloseThatIsNoTimeoutCountsNoTimeout(string reason) => Assert.Null(EventKinds.TimeoutOf(Enum.Parse<CloseReason>(reason)));
}
