using System.Net;

namespace PluggableNet.Server;

/// <summary>An <c>http://address:port/path</c> the telemetry listener serves, parsed from a URL setting.</summary>
/// <param name="Key">The setting it came from, for errors.</param>
/// <param name="Address">The address to bind: an IP literal, <c>localhost</c> (loopback) or <c>*</c> / <c>+</c> (any).</param>
/// <param name="Port">1..65535.</param>
/// <param name="Path">The path as given, <c>/metrics</c> or <c>/</c>.</param>
internal sealed record HttpEndPoint(string Key, IPAddress Address, int Port, string Path)
{
    /// <summary>The path as a base for sub-paths: <c>/</c> → empty, <c>/probe/</c> → <c>/probe</c>.</summary>
    public string PathBase => Path.TrimEnd('/');

    /// <summary>Same address and port: one Kestrel listener serves both.</summary>
    public bool SharesListenerWith(HttpEndPoint other) => Port == other.Port && Address.Equals(other.Address);

    public override string ToString() => $"http://{(Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]" : Address.ToString())}:{Port}{Path}";

    internal static HttpEndPoint? Read(SettingsReader reader, string key, string defaultPath)
    {
        if (reader.OptionalText(key) is not { } text)
        {
            return null;
        }

        // "*" and "+" are Kestrel's and HttpListener's "any address"; Uri does not parse them as hosts.
        var parsable = text.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        if (!Uri.TryCreate(parsable, UriKind.Absolute, out var uri) || uri.Scheme != "http" || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            reader.Errors.Add($"{key}: '{text}' is not an http://address:port/path URL.");
            return null;
        }

        IPAddress? address = uri.IsLoopback && uri.HostNameType == UriHostNameType.Dns ? IPAddress.Loopback
            : IPAddress.TryParse(uri.Host.Trim('[', ']'), out var parsed) ? parsed
            : null;
        if (address is null)
        {
            reader.Errors.Add($"{key}: '{uri.Host}' is not an IP address, localhost or *; the endpoint binds an address, not a name.");
            return null;
        }

        if (uri.IsDefaultPort && !text.Contains($":{uri.Port}", StringComparison.Ordinal))
        {
            reader.Errors.Add($"{key}: '{text}' names no port; say which one, e.g. http://127.0.0.1:9464{defaultPath}.");
            return null;
        }

        if (uri.Port is < 1 or > 65535)
        {
            reader.Errors.Add($"{key}: port {uri.Port} is not 1..65535.");
            return null;
        }

        var path = uri.AbsolutePath is "" ? defaultPath : uri.AbsolutePath;
        if (defaultPath != "/" && path == "/")
        {
            path = defaultPath;
        }

        return new HttpEndPoint(key, address, uri.Port, path);
    }
}
