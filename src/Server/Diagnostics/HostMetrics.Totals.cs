namespace PluggableNet.Server.Diagnostics;

/// <summary>
/// The running totals as named figures, so a host upgrade's new host continues them instead of starting at zero
/// (as Envoy's hot restart carries its counters). Gauges (open connections, paused connections, active reactors)
/// describe this process and are not carried. A name the receiving build does not know is skipped.
/// </summary>
internal sealed partial class HostMetrics
{
    /// <summary>Every total, by a stable name.</summary>
    internal IReadOnlyList<KeyValuePair<string, long>> ExportTotals()
    {
        var totals = new List<KeyValuePair<string, long>>
        {
            new("accepted", AcceptedConnections),
            new("untracked_addresses", UntrackedAddresses),
            new("accept_pauses", AcceptPauses),
            new("v2_connections", V2Connections),
            new("backpressure_pauses", BackpressurePauses),
            new("reactor_migrations", ReactorMigrations),
            new("requests", Requests),
            new("bytes_received", BytesReceived),
            new("bytes_sent", BytesSent),
        };
        Add(totals, "timeouts.", _timeoutsByKind, Enum.GetNames<TimeoutKind>());
        Add(totals, "protocol_errors.", _protocolErrorsByKind, Enum.GetNames<ProtocolErrorKind>());
        Add(totals, "plugin_faults.", _pluginFaultsByKind, Enum.GetNames<PluginFaultKind>());
        Add(totals, "rejections.", _rejectionsByKind, Enum.GetNames<RefusalKind>());
        return totals;
    }

    /// <summary>Adds totals exported by another process (before this one counts anything of its own, or after: they add).</summary>
    internal void ImportTotals(IEnumerable<KeyValuePair<string, long>> totals)
    {
        foreach (var (name, value) in totals)
        {
            switch (name)
            {
                case "accepted": Interlocked.Add(ref _acceptedConnections, value); break;
                case "untracked_addresses": Interlocked.Add(ref _untrackedAddresses, value); break;
                case "accept_pauses": Interlocked.Add(ref _acceptPauses, value); break;
                case "v2_connections": Interlocked.Add(ref _v2Connections, value); break;
                case "backpressure_pauses": Interlocked.Add(ref _backpressurePauses, value); break;
                case "reactor_migrations": Interlocked.Add(ref _reactorMigrations, value); break;
                case "requests": _requests.Add(value); break;
                case "bytes_received": _bytesReceived.Add(value); break;
                case "bytes_sent": _bytesSent.Add(value); break;
                default:
                    _ = Import(name, value, "timeouts.", _timeoutsByKind, Enum.GetNames<TimeoutKind>())
                        || Import(name, value, "protocol_errors.", _protocolErrorsByKind, Enum.GetNames<ProtocolErrorKind>())
                        || Import(name, value, "plugin_faults.", _pluginFaultsByKind, Enum.GetNames<PluginFaultKind>())
                        || Import(name, value, "rejections.", _rejectionsByKind, Enum.GetNames<RefusalKind>());
                    break;
            }
        }
    }

    private static void Add(List<KeyValuePair<string, long>> totals, string prefix, long[] counts, string[] names)
    {
        for (var i = 0; i < counts.Length; i++)
        {
            totals.Add(new(prefix + names[i], Volatile.Read(ref counts[i])));
        }
    }

    private static bool Import(string name, long value, string prefix, long[] counts, string[] names)
    {
        if (!name.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var index = Array.IndexOf(names, name[prefix.Length..]);
        if (index >= 0 && index < counts.Length)
        {
            Interlocked.Add(ref counts[index], value);
        }

        return true;
    }
}
