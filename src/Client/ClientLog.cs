using Microsoft.Extensions.Logging;

namespace PluggableNet.Client;

/// <summary>The client's log messages, in one place with stable event ids. Nothing is logged per request.</summary>
internal static partial class ClientLog
{
    [LoggerMessage(1, LogLevel.Debug, "Connected to {Endpoint} (connection {Connection})")]
    public static partial void Connected(ILogger logger, string endpoint, long connection);

    [LoggerMessage(2, LogLevel.Warning, "Cannot connect to {Endpoint}: {Reason}; left out for {DownFor}")]
    public static partial void ConnectFailed(ILogger logger, string endpoint, string reason, TimeSpan downFor);

    [LoggerMessage(3, LogLevel.Information, "Endpoint {Endpoint} is reachable again")]
    public static partial void EndpointUp(ILogger logger, string endpoint);

    [LoggerMessage(4, LogLevel.Information, "Connection {Connection} to {Endpoint} {Reason}; {Count} unanswered request(s) resent")]
    public static partial void ClosedGracefully(ILogger logger, long connection, string endpoint, string reason, int count);

    [LoggerMessage(5, LogLevel.Warning, "Connection {Connection} to {Endpoint} {Reason} with {Count} request(s) waiting; endpoint left out for {DownFor}")]
    public static partial void Broken(ILogger logger, long connection, string endpoint, string reason, int count, TimeSpan downFor);

    [LoggerMessage(6, LogLevel.Debug, "Connection {Connection} to {Endpoint} {Reason}")]
    public static partial void Closed(ILogger logger, long connection, string endpoint, string reason);

    [LoggerMessage(7, LogLevel.Warning, "Connection {Connection} to {Endpoint} stopped answering (a request timed out); it takes no new requests")]
    public static partial void Stalled(ILogger logger, long connection, string endpoint);

    [LoggerMessage(8, LogLevel.Debug, "Connected to {Endpoint} (connection {Connection}, protocol v2: {Server} serving {Plugin}, MaxConcurrentRequests {MaxConcurrentRequests}, MaxFrameBytes {MaxFrameBytes})")]
    public static partial void ConnectedV2(ILogger logger, string endpoint, long connection, string server, string plugin, uint maxConcurrentRequests, uint maxFrameBytes);

    [LoggerMessage(9, LogLevel.Warning, "Connection {Connection} to {Endpoint} {Reason} with {Count} request(s) at or below its last id unanswered")]
    public static partial void GoneAwayUnanswered(ILogger logger, long connection, string endpoint, string reason, int count);
}
