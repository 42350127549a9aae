using System.Net;

namespace PluggableNet.Host.Transport;

/// <summary>
/// What a transport needs to know to listen, resolved from configuration by the hosting layer. With
/// <paramref name="Inherited"/> (socket activation) the transport serves on that socket and binds nothing.
/// </summary>
internal sealed record TransportOptions(IPEndPoint EndPoint, int Backlog, int ReactorThreads, InheritedListener? Inherited = null);
