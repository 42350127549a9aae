namespace PluggableNet.Server.Transport;

/// <summary>
/// The listening sockets systemd passed (<c>LISTEN_FDS</c>), each given to the endpoint its <c>LISTEN_FDNAMES</c> name
/// (<c>FileDescriptorName=</c> in the .socket unit) names. One endpoint and one socket need no name, as before
/// endpoints existed (systemd names an unnamed socket after its unit).
/// </summary>
internal sealed class InheritedListeners
{
    private readonly Dictionary<string, InheritedListener> _byEndpoint;

    private InheritedListeners(Dictionary<string, InheritedListener> byEndpoint) => _byEndpoint = byEndpoint;

    /// <summary>The socket of the endpoint named <paramref name="endpoint"/>; null when the host was not socket-activated.</summary>
    public InheritedListener? For(string endpoint) => _byEndpoint.GetValueOrDefault(endpoint);

    /// <summary>
    /// Matches the passed sockets (in fd order, each with its name or null) to the endpoints' names. The errors, when
    /// any, name the fd and its name, or the endpoint left without a socket, and what to write in the socket unit.
    /// </summary>
    public static InheritedListeners Match(IReadOnlyList<(string? Name, InheritedListener Listener)> passed, IReadOnlyList<string> endpoints, out List<string> errors)
    {
        errors = [];
        var byEndpoint = new Dictionary<string, InheritedListener>(StringComparer.OrdinalIgnoreCase);
        if (passed.Count == 1 && endpoints.Count == 1)
        {
            byEndpoint[endpoints[0]] = passed[0].Listener;
            return new InheritedListeners(byEndpoint);
        }

        var names = string.Join(", ", endpoints);
        foreach (var (name, listener) in passed)
        {
            var endpoint = endpoints.FirstOrDefault(e => string.Equals(e, name, StringComparison.OrdinalIgnoreCase));
            if (endpoint is null)
            {
                errors.Add(string.IsNullOrEmpty(name)
                    ? $"LISTEN_FDNAMES: fd {listener.Fd} ({listener.EndPoint}) has no name; with several sockets or endpoints each socket is named after its endpoint (FileDescriptorName= in its .socket unit; endpoints: {names})"
                    : $"LISTEN_FDNAMES: fd {listener.Fd} ({listener.EndPoint}) is named {name}, which is no endpoint's name (endpoints: {names}); set FileDescriptorName= in its .socket unit to the endpoint's name");
            }
            else if (!byEndpoint.TryAdd(endpoint, listener))
            {
                errors.Add($"LISTEN_FDNAMES: fd {listener.Fd} ({listener.EndPoint}) is named {name} as fd {byEndpoint[endpoint].Fd} is; an endpoint serves one socket (one ListenStream= per .socket unit)");
            }
        }

        foreach (var endpoint in errors.Count > 0 ? [] : endpoints.Where(e => !byEndpoint.ContainsKey(e)))
        {
            // Binding it here would refuse its connections during every restart while the others' wait in systemd's queue.
            errors.Add($"Endpoints:{endpoint}: no inherited socket is named {endpoint} (LISTEN_FDNAMES={string.Join(':', passed.Select(p => p.Name))}); under socket activation every endpoint needs its own socket unit with FileDescriptorName={endpoint}");
        }

        return new InheritedListeners(byEndpoint);
    }
}
