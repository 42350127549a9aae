using System.Net;

namespace PluggableNet.Server.Transport;

/// <summary>What a transport needs to know to listen, resolved from configuration by the hosting layer.</summary>
/// <param name="EndPoint">Where to listen.</param>
/// <param name="Backlog">The kernel's queue of connections not yet accepted.</param>
/// <param name="ReactorThreads">Epoll reactors that exist (the most that can be active).</param>
/// <param name="AdaptiveReactors">
/// <c>Server:ReactorThreads=auto</c>: the epoll transport measures how many reactors pay off and keeps only those active.
/// The Sockets transport has no reactors (the thread pool serves it) and ignores it.
/// </param>
/// <param name="Inherited">A listening socket inherited through socket activation: served on, nothing is bound.</param>
/// <param name="KeepAlive">TCP keep-alive set on every accepted connection (off by default).</param>
/// <param name="MigrationDrillMs">Above 0, the active set alternates between one and all reactors this often (a drill that moves connections for tests).</param>
internal sealed record TransportOptions(IPEndPoint EndPoint, int Backlog, int ReactorThreads, bool AdaptiveReactors = false, int MigrationDrillMs = 0, InheritedListener? Inherited = null, TcpKeepAlive KeepAlive = default);
