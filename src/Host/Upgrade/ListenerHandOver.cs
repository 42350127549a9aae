using System.Net;
using PluggableNet.Server;
using PluggableNet.Server.Transport;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// The <see cref="HandOverKind.Listeners"/> message: the old host's build and pid, then per endpoint (in the order of
/// the descriptors that ride along) its name, its bound address and its counters' totals.
/// </summary>
internal static class ListenerHandOver
{
    /// <summary>One endpoint as received: its socket (now ours) and the totals its counters continue from.</summary>
    internal sealed record Endpoint(string Name, InheritedListener Listener, IReadOnlyList<KeyValuePair<string, long>> Totals);

    public static byte[] Write(IReadOnlyList<PluggableServer> servers) => HandOverMessage.Build(w =>
    {
        w.Write(HandOverProtocol.Build);
        w.Write(Environment.ProcessId);
        w.Write(servers.Count);
        foreach (var server in servers)
        {
            w.Write(server.Name);
            w.Write(server.LocalEndPoint.Address.ToString());
            w.Write(server.LocalEndPoint.Port);
            var totals = server.Metrics.ExportTotals();
            w.Write(totals.Count);
            foreach (var (name, value) in totals)
            {
                w.Write(name);
                w.Write(value);
            }
        }
    });

    public static (UpgradeOrigin Origin, IReadOnlyList<Endpoint> Endpoints) Read(HandOverMessage message)
    {
        using var reader = message.Reader();
        var origin = new UpgradeOrigin(DateTimeOffset.UtcNow, reader.ReadString(), reader.ReadInt32());
        var count = reader.ReadInt32();
        if (count != message.Descriptors.Length)
        {
            throw new InvalidDataException($"{count} endpoints but {message.Descriptors.Length} descriptors");
        }

        var endpoints = new List<Endpoint>(count);
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            var address = IPAddress.Parse(reader.ReadString());
            var port = reader.ReadInt32();
            var totals = new List<KeyValuePair<string, long>>();
            for (var n = reader.ReadInt32(); n > 0; n--)
            {
                totals.Add(new(reader.ReadString(), reader.ReadInt64()));
            }

            var listener = new InheritedListener(message.Descriptors[i], new IPEndPoint(address, port), $"handed over by pid {origin.FromPid}");
            endpoints.Add(new Endpoint(name, listener, totals));
        }

        return (origin, endpoints);
    }
}
