using System.Net;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Framing;

namespace PluggableNet.Server.Connections;

/// <summary>
/// The PROXY protocol (HAProxy's, v1 text or v2 binary), when <c>Server:ProxyProtocol</c> is on: the connection's first
/// bytes are the header a trusted proxy sends, naming the real client, who then stands for <see cref="Peer"/> in logs.
/// From an address outside <c>Server:TrustedProxies</c>, or malformed, the connection is closed.
/// </summary>
internal sealed partial class FrameConnection
{
    private bool _awaitingProxyHeader;

    /// <summary>Whether the connection's first bytes must be a PROXY header not yet taken (a TLS endpoint reads it before its handshake).</summary>
    public bool AwaitsProxyHeader => _awaitingProxyHeader;

    /// <summary>The proxy the connection came through, once its PROXY header named the client; null otherwise.</summary>
    public EndPoint? ProxiedBy { get; private set; }

    /// <summary>Takes the PROXY header off the front of the input; false while it is incomplete, or when it was refused.</summary>
    private bool TakeProxyHeader(long now)
    {
        if (!IsTrustedProxy(Peer))
        {
            return RefuseProxyHeader("the peer is not in Server:TrustedProxies");
        }

        switch (ProxyHeaderReader.TryRead(_input.Data, out var header, out var consumed, out var error))
        {
            case ProxyHeaderStatus.Valid:
                _input.Consume(consumed);
                _awaitingProxyHeader = false;
                ProxiedBy = Peer;
                LocalEndPoint = header.Destination ?? LocalEndPoint;
                if (header.Source is { } client)
                {
                    Peer = client;
                }

                if (_context.Logger.IsEnabled(LogLevel.Debug))
                {
                    ConnectionLog.ProxyHeaderAccepted(_context.Logger, Id, header.Version, ProxiedBy, Peer);
                }

                // The per-address limits judge the client, not the proxy (FrameConnection.AddressLimit.cs); a header
                // naming none (LOCAL, a proxy's own health check, or UNKNOWN) is not counted, as nginx skips an empty key.
                return header.Source is null || AdmitProxiedClient(now);
            case ProxyHeaderStatus.Invalid:
                return RefuseProxyHeader(error ?? "malformed");
            default:
                if (_inputEnded)
                {
                    return RefuseProxyHeader("the connection ended inside it");
                }

                // Incomplete: the read timeout runs from its first byte, as for a frame's header.
                _deadlines.FrameStarting(now);
                OnStateChanged();
                return false;
        }
    }

    private bool IsTrustedProxy(EndPoint? peer)
    {
        if (peer is not IPEndPoint { Address: var address })
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in _limits.TrustedProxies)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    private bool RefuseProxyHeader(string reason)
    {
        _context.Metrics.ProtocolError(ProtocolErrorKind.ProxyHeader);
        if (_context.Logger.IsEnabled(LogLevel.Information) && _context.Throttled.ShouldLog(ThrottledEvent.ProxyHeader, Environment.TickCount64))
        {
            ConnectionLog.ProxyHeaderRefused(_context.Logger, Id, Peer, reason);
        }

        _input.Clear();
        _awaitingProxyHeader = false;
        RequestGracefulClose(CloseReason.ProtocolError);
        return false;
    }
}
