using System.Net;

namespace PluggableNet.Host.Transport;

/// <summary>What a transport needs to know to listen, resolved from configuration by the hosting layer.</summary>
internal sealed record TransportOptions(IPEndPoint EndPoint, int Backlog, int ReactorThreads);
