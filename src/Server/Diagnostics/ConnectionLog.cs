using System.Net;
using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Diagnostics;

/// <summary>
/// Every connection-level log event, with stable event ids. Source-generated: a disabled level costs a check.
/// Enums are passed as their (cached) names so sinks print them as plain words.
/// </summary>
internal static partial class ConnectionLog
{
    [LoggerMessage(1000, LogLevel.Debug, "Connection {ConnectionId} from {Peer} accepted")]
    public static partial void Accepted(ILogger logger, long connectionId, EndPoint? peer);

    [LoggerMessage(1001, LogLevel.Debug, "Connection {ConnectionId} from {Peer} closed: {Reason} in state {State} after {Requests} requests")]
    public static partial void Closed(ILogger logger, long connectionId, EndPoint? peer, string reason, string state, long requests);

    [LoggerMessage(1002, LogLevel.Debug, "Connection {ConnectionId} state {State}: buffered {Buffered} bytes, need {NeedRead}, pending write {PendingWrite}")]
    public static partial void State(ILogger logger, long connectionId, string state, int buffered, int needRead, int pendingWrite);

    // A peer's mistake, not the server's: Information, as nginx logs client errors, and throttled (ThrottledLog).
    [LoggerMessage(1003, LogLevel.Information, "Connection {ConnectionId} from {Peer} closed: invalid frame header ({Reason})")]
    public static partial void ProtocolError(ILogger logger, long connectionId, EndPoint? peer, string reason);

    [LoggerMessage(1004, LogLevel.Information, "Connection {ConnectionId} from {Peer} closed: {Reason} after {ElapsedMs} ms")]
    public static partial void TimedOut(ILogger logger, long connectionId, EndPoint? peer, string reason, long elapsedMs);

    [LoggerMessage(1005, LogLevel.Error, "Plugin {Plugin} {Version} failed on connection {ConnectionId} from {Peer}; {Action}")]
    public static partial void PluginFault(ILogger logger, Exception exception, string plugin, string version, long connectionId, EndPoint? peer, string action);

    [LoggerMessage(1006, LogLevel.Error, "Plugin {Plugin} {Version} answered {Length} bytes on connection {ConnectionId} from {Peer}; the framing allows at most {Max}; connection closed")]
    public static partial void AnswerTooLarge(ILogger logger, string plugin, string version, long length, long connectionId, EndPoint? peer, int max);

    [LoggerMessage(1007, LogLevel.Warning, "Rejected {Count} connection(s) in the last second: the connection limit ({Max}) is reached (Limits:MaxConnections)")]
    public static partial void Rejected(ILogger logger, long count, int max);

    [LoggerMessage(1008, LogLevel.Debug, "Connection {ConnectionId} paused reading: {Reason}")]
    public static partial void ReadPaused(ILogger logger, long connectionId, string reason);

    [LoggerMessage(1009, LogLevel.Debug, "Connection {ConnectionId} from {Peer}: socket error {Error}")]
    public static partial void SocketError(ILogger logger, long connectionId, EndPoint? peer, string error);

    // The host's own failure (CloseReason.InternalError): the one connection close logged as an error.
    [LoggerMessage(1011, LogLevel.Error, "Connection {ConnectionId} from {Peer} closed: internal error in {Operation}")]
    public static partial void InternalError(ILogger logger, Exception? exception, long connectionId, EndPoint? peer, string operation);

    [LoggerMessage(1012, LogLevel.Information, "Connection {ConnectionId} from {Peer}: protocol v2 error ({Reason}); nothing more is read, GOAWAY PROTOCOL_ERROR once the requests in flight are answered")]
    public static partial void V2ProtocolError(ILogger logger, long connectionId, EndPoint? peer, string reason);

    [LoggerMessage(1013, LogLevel.Warning, "Connection {ConnectionId} from {Peer}: request {RequestId}: {Reason}; answered ERROR {Code}, the connection stays open")]
    public static partial void V2RequestRefused(ILogger logger, long connectionId, EndPoint? peer, uint requestId, string reason, string code);

    [LoggerMessage(1014, LogLevel.Information, "Connection {ConnectionId} from {Peer} closed: PROXY protocol header refused ({Reason})")]
    public static partial void ProxyHeaderRefused(ILogger logger, long connectionId, EndPoint? peer, string reason);

    [LoggerMessage(1015, LogLevel.Debug, "Connection {ConnectionId}: PROXY v{Version} from {Proxy}: client {Peer}")]
    public static partial void ProxyHeaderAccepted(ILogger logger, long connectionId, int version, EndPoint? proxy, EndPoint? peer);

    // Per-address limits (issue 22): what a peer controls, so throttled like the rest; Warning, as limits reached are.
    [LoggerMessage(1030, LogLevel.Warning, "Connection from {Peer} refused: its address {Address} opened {Reason}")]
    public static partial void AddressRefused(ILogger logger, EndPoint? peer, string address, string reason);

    [LoggerMessage(1031, LogLevel.Warning, "Connection from {Peer} admitted without per-address limits: the address table ({Capacity} entries) has no room for {Address} (its set is held by addresses with connections or recent accepts)")]
    public static partial void AddressUntracked(ILogger logger, EndPoint? peer, string address, int capacity);

    [LoggerMessage(1032, LogLevel.Warning, "Accepting paused: {Free} descriptor(s) free of the open files limit {Limit} ({InUse} in use, {Connections} connection(s)), not even the {Floor} the runtime must keep; new connections wait in the backlog until connections close or the limit is raised")]
    public static partial void AcceptPaused(ILogger logger, long free, long limit, long inUse, long connections, long floor);

    [LoggerMessage(1034, LogLevel.Warning, "Rejected {Count} connection(s) in the last second: {Free} descriptor(s) free of the open files limit {Limit}, {Reserve} kept for the runtime, logs and plugins; raise the limit (LimitNOFILE=, ulimit -n) to allow more")]
    public static partial void RejectedForDescriptors(ILogger logger, long count, long free, long limit, long reserve);

    [LoggerMessage(1033, LogLevel.Information, "Accepting again: {Free} descriptor(s) free of the open files limit {Limit}")]
    public static partial void AcceptResumed(ILogger logger, long free, long limit);

    [LoggerMessage(EventId = 1010, Message = "{Count} more connection event(s) of kind {Kind} in the last second, not logged one by one")]
    public static partial void Suppressed(ILogger logger, LogLevel level, long count, string kind);
}
