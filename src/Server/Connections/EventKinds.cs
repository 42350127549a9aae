using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Framing;

namespace PluggableNet.Server.Connections;

/// <summary>
/// The one place where what a connection reports (a bad header, a close reason, a timeout) becomes the kinds it is
/// counted under (<see cref="HostMetrics"/>) and throttled under (<see cref="ThrottledLog"/>): one table per mapping,
/// so a kind added to one enum cannot be forgotten in a second switch elsewhere.
/// </summary>
internal static class EventKinds
{
    /// <summary>The metric kind and the log-throttle kind of an invalid header (never called for Incomplete or Valid).</summary>
    public static (ProtocolErrorKind Metric, ThrottledEvent Log) Of(HeaderStatus status) => status switch
    {
        HeaderStatus.NotDigits => (ProtocolErrorKind.NotDigits, ThrottledEvent.HeaderNotDigits),
        HeaderStatus.ZeroLength => (ProtocolErrorKind.ZeroLength, ThrottledEvent.HeaderZeroLength),
        _ => (ProtocolErrorKind.TooLarge, ThrottledEvent.HeaderTooLarge),
    };

    /// <summary>The timeout a close reason stands for, or null when it is not a timeout.</summary>
    public static TimeoutKind? TimeoutOf(CloseReason reason) => reason switch
    {
        CloseReason.ReadTimeout => TimeoutKind.Read,
        CloseReason.ReceiveTooSlow => TimeoutKind.ReceiveRate,
        CloseReason.WriteTimeout => TimeoutKind.Write,
        CloseReason.IdleTimeout => TimeoutKind.Idle,
        CloseReason.ProcessTimeout => TimeoutKind.Process,
        CloseReason.PingTimeout => TimeoutKind.Ping,
        _ => null,
    };

    /// <summary>The log-throttle kind of a timeout.</summary>
    public static ThrottledEvent Of(TimeoutKind kind) => kind switch
    {
        TimeoutKind.Read => ThrottledEvent.ReadTimeout,
        TimeoutKind.ReceiveRate => ThrottledEvent.ReceiveTooSlow,
        TimeoutKind.Write => ThrottledEvent.WriteTimeout,
        TimeoutKind.Idle => ThrottledEvent.IdleTimeout,
        TimeoutKind.Ping => ThrottledEvent.PingTimeout,
        _ => ThrottledEvent.ProcessTimeout,
    };
}
