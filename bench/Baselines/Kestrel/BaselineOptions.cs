using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace PluggableNet.Baselines.Kestrel;

/// <summary>
/// Settings of the baseline, read from configuration so the command line accepts the same
/// <c>--Key=value</c> / <c>--Section:Key=value</c> style as the PluggableNet host.
/// </summary>
internal sealed record BaselineOptions
{
    /// <summary>Address to listen on (<c>--address</c>, default 127.0.0.1).</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>TCP port (<c>--port</c>); 0 picks a free one, reported on stdout.</summary>
    public int Port { get; init; }

    /// <summary>Wire framing (<c>--framing</c>: ascii5, asciiN or binary).</summary>
    public WireFraming Framing { get; init; } = WireFraming.Ascii(5);

    /// <summary>Unix socket path of the status channel (<c>--Control:Socket</c>); none when empty.</summary>
    public string? ControlSocket { get; init; }

    /// <summary>Largest accepted payload; bigger frames close the connection.</summary>
    public int MaxPayloadBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Multiply-adds burnt per request before answering (<c>--burn</c>, default 0): the CPU-heavy plugin's chain.</summary>
    public int BurnIterations { get; init; }

    /// <summary>PEM certificate (<c>--tls-cert</c>): with <see cref="TlsKeyPath"/>, the endpoint speaks TLS (Kestrel's UseHttps).</summary>
    public string? TlsCertificatePath { get; init; }

    /// <summary>PEM private key of <see cref="TlsCertificatePath"/> (<c>--tls-key</c>).</summary>
    public string? TlsKeyPath { get; init; }

    public static BaselineOptions From(IConfiguration configuration)
    {
        var address = configuration["address"];
        var port = configuration["port"];
        var framing = configuration["framing"];
        var burn = configuration["burn"];
        return new BaselineOptions
        {
            Address = string.IsNullOrWhiteSpace(address) ? IPAddress.Loopback : IPAddress.Parse(address),
            Port = string.IsNullOrWhiteSpace(port) ? 0 : int.Parse(port, NumberStyles.None, CultureInfo.InvariantCulture),
            Framing = string.IsNullOrWhiteSpace(framing) ? WireFraming.Ascii(5) : WireFraming.Parse(framing),
            ControlSocket = configuration["Control:Socket"],
            BurnIterations = string.IsNullOrWhiteSpace(burn) ? 0 : int.Parse(burn, NumberStyles.None, CultureInfo.InvariantCulture),
            TlsCertificatePath = configuration["tls-cert"],
            TlsKeyPath = configuration["tls-key"],
        };
    }
}
