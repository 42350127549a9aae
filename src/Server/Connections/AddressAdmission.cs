using System.Net;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Diagnostics;

namespace PluggableNet.Server.Connections;

/// <summary>
/// <c>Limits:MaxConnectionsPerAddress</c> and <c>Limits:AcceptRatePerAddress</c>: admission of one client address,
/// its refusals counted and logged as a rate. Asked once per connection, with the address that stands for the client:
/// at accept for a plain connection, once its PROXY header is read for a proxied one. Off (no table at all) unless
/// one of the two limits is set.
/// </summary>
internal sealed class AddressAdmission
{
    private readonly AddressTable? _table;
    private readonly ConnectionLimits _limits;
    private readonly HostMetrics _metrics;
    private readonly ThrottledLog _throttled;
    private readonly ILogger _logger;

    public AddressAdmission(ConnectionLimits limits, HostMetrics metrics, ThrottledLog throttled, ILogger logger)
    {
        _limits = limits;
        _metrics = metrics;
        _throttled = throttled;
        _logger = logger;
        if (limits.MaxConnectionsPerAddress > 0 || limits.AcceptRatePerAddress > 0)
        {
            _table = new AddressTable(limits.AddressTableCapacity, limits.MaxConnectionsPerAddress, limits.AcceptRatePerAddress, limits.AcceptBurstPerAddress);
        }
    }

    /// <summary>The table, when a per-address limit is on.</summary>
    public AddressTable? Table => _table;

    /// <summary>
    /// Counts a connection from <paramref name="peer"/> in, or refuses it (counted, logged at most once a second per
    /// kind). <paramref name="slot"/> goes back through <see cref="Release"/> when the connection closes; -1 when
    /// nothing was counted (limits off, no IP address, or the address's set of the table full).
    /// </summary>
    public bool TryAdmit(EndPoint? peer, long now, out int slot)
    {
        slot = -1;
        if (_table is null || !AddressKey.TryFrom(peer, out var key))
        {
            return true;
        }

        switch (_table.TryAdmit(key, now, out slot))
        {
            case AddressVerdict.Admitted:
                return true;
            case AddressVerdict.Untracked:
                _metrics.AddressUntracked();
                if (_throttled.ShouldLog(ThrottledEvent.AddressTableFull, now))
                {
                    ConnectionLog.AddressUntracked(_logger, peer, key.ToString(), _table.Capacity);
                }

                return true;
            case AddressVerdict.TooManyConnections:
                _metrics.ConnectionRejected(RefusalKind.AddressConnections);
                if (_throttled.ShouldLog(ThrottledEvent.AddressConnections, now))
                {
                    ConnectionLog.AddressRefused(_logger, peer, key.ToString(), $"{_limits.MaxConnectionsPerAddress} connection(s) open already (Limits:MaxConnectionsPerAddress)");
                }

                return false;
            default:
                _metrics.ConnectionRejected(RefusalKind.AddressRate);
                if (_throttled.ShouldLog(ThrottledEvent.AddressRate, now))
                {
                    ConnectionLog.AddressRefused(_logger, peer, key.ToString(), $"faster than {_limits.AcceptRatePerAddress} connection(s) a second, burst {_limits.AcceptBurstPerAddress} (Limits:AcceptRatePerAddress)");
                }

                return false;
        }
    }

    /// <summary>A connection moved here from another server: counted under its client's address, never refused.</summary>
    public int Adopt(EndPoint? peer, long now) =>
        _table is not null && AddressKey.TryFrom(peer, out var key) && _table.TryAdmit(key, now, out var slot, adopted: true) == AddressVerdict.Admitted ? slot : -1;

    /// <summary>A connection counted in at <paramref name="slot"/> closed.</summary>
    public void Release(int slot) => _table?.Release(slot);
}
