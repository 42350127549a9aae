using System.Net;
using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Connections.Handover;

/// <summary>Log events of connections moving between servers (issue 23), with stable ids 1060-1069.</summary>
internal static partial class HandoverLog
{
    [LoggerMessage(1060, LogLevel.Debug, "Connection {ConnectionId} from {Peer} detached between requests: {Buffered} byte(s) of the next frame buffered, {Requests} request(s) answered")]
    public static partial void Detached(ILogger logger, long connectionId, EndPoint? peer, int buffered, long requests);

    [LoggerMessage(1061, LogLevel.Debug, "Connection {ConnectionId} from {Peer} adopted (connection {PreviousId} on the previous host, protocol {Protocol}, {Buffered} byte(s) buffered)")]
    public static partial void Adopted(ILogger logger, long connectionId, EndPoint? peer, long previousId, string protocol, int buffered);

    [LoggerMessage(1062, LogLevel.Warning, "{Plugin} threw in ExportState for connection {ConnectionId}: {Error}; the connection stays on this host and closes with it")]
    public static partial void ExportFailed(ILogger logger, string plugin, long connectionId, string error);

    [LoggerMessage(1063, LogLevel.Information, "Detach batch ended: {Moved} connection(s) detached, {Left} left to finish on this host{Why}")]
    public static partial void BatchEnded(ILogger logger, int moved, long left, string why);
}
