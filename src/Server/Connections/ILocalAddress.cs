using System.Net;

namespace PluggableNet.Server.Connections;

/// <summary>A transport's connection that can say which of the host's addresses the client reached (asked once, when a session opens).</summary>
internal interface ILocalAddress
{
    /// <summary>The socket's local address and port, or null if the socket cannot tell (closed).</summary>
    EndPoint? LocalEndPoint { get; }
}
