using System.Net;

namespace PluggableNet.Server.Framing;

/// <summary>
/// What a PROXY protocol header (HAProxy's, v1 text or v2 binary) says about the connection a proxy relays: the real
/// client and the address it connected to. <see cref="Source"/> is null when the proxy said nothing usable (v1
/// <c>UNKNOWN</c>, v2 <c>LOCAL</c> such as a health check, or a family other than TCP over IPv4/IPv6): the connection's
/// own endpoints then stand.
/// </summary>
/// <param name="Version">1 (text) or 2 (binary).</param>
/// <param name="Source">The client's address and port, or null.</param>
/// <param name="Destination">The address and port the client connected to, or null.</param>
internal readonly record struct ProxyHeader(int Version, IPEndPoint? Source, IPEndPoint? Destination);
