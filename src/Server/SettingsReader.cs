using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace PluggableNet.Server;

/// <summary>
/// Reads typed values from configuration: an empty value means the default, a bad one is collected in
/// <see cref="Errors"/> as a message naming its key (so all of them are reported at once) and yields the default.
/// The only place that parses configuration text; <see cref="ServerSettings"/> and the service settings use it.
/// With a prefix (an endpoint's <c>Endpoints:Public:</c>), keys are read under it and errors name them in full.
/// </summary>
internal sealed class SettingsReader(IConfiguration configuration, string prefix = "", List<string>? errors = null)
{
    /// <summary>The full path of <paramref name="key"/>, as errors name it (<c>Endpoints:Public:</c> + <c>Framing:HeaderDigits</c>).</summary>
    public string Key(string key) => prefix + key;

    /// <summary>Whether <paramref name="key"/> is set to something other than blanks, or holds a list.</summary>
    public bool HasValue(string key) =>
        !string.IsNullOrWhiteSpace(configuration[prefix + key]) || configuration.GetSection(prefix + key).GetChildren().Any(); // a JSON array has children only

    public List<string> Errors { get; } = errors ?? [];

    /// <summary>A reader of the keys under <paramref name="section"/> (<c>Endpoints:Public:</c>), collecting into the same <see cref="Errors"/>.</summary>
    public SettingsReader Under(string section) => new(configuration, prefix + section, Errors);

    /// <summary>This reader without its prefix, for readers that take the full prefix themselves (<see cref="TlsSettingsReader"/>).</summary>
    public SettingsReader Unprefixed => prefix.Length == 0 ? this : new(configuration, string.Empty, Errors);

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>; with <paramref name="zeroMeans"/>, 0 is also allowed and stands for that value.</summary>
    public int Int(string key, int fallback, int min, int max, int? zeroMeans = null)
    {
        var text = configuration[prefix + key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < (zeroMeans is null ? min : 0) || value > max)
        {
            Errors.Add($"{prefix}{key}: '{text}' is not a whole number from {(zeroMeans is null ? min : 0)} to {max}.");
            return fallback;
        }

        return value == 0 && zeroMeans is { } z ? z : value;
    }

    /// <summary>
    /// <c>auto</c> (also when unset: <paramref name="auto"/> is then returned and <paramref name="isAuto"/> set), or a
    /// whole number as <see cref="Int"/> with 0 standing for <paramref name="auto"/>, fixed.
    /// </summary>
    public int IntOrAuto(string key, int min, int max, int auto, out bool isAuto)
    {
        var text = configuration[prefix + key];
        isAuto = string.IsNullOrWhiteSpace(text) || text.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase);
        if (isAuto)
        {
            return auto;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < 0 || value > max || (value != 0 && value < min))
        {
            Errors.Add($"{prefix}{key}: '{text}' is neither auto nor a whole number from {min} to {max}.");
            return auto;
        }

        return value == 0 ? auto : value;
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>, for sizes beyond int.</summary>
    public long Long(string key, long fallback, long min, long max)
    {
        var text = configuration[prefix + key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Errors.Add($"{prefix}{key}: '{text}' is not a whole number from {min} to {max}.");
            return fallback;
        }

        return value;
    }

    public bool Bool(string key, bool fallback)
    {
        var text = configuration[prefix + key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!bool.TryParse(text, out var value))
        {
            Errors.Add($"{prefix}{key}: '{text}' is not true or false.");
            return fallback;
        }

        return value;
    }

    public string Text(string key, string fallback)
    {
        var text = configuration[prefix + key];
        return string.IsNullOrWhiteSpace(text) ? fallback : text.Trim();
    }

    /// <summary>
    /// A folder name, not a path: no separator, not <c>.</c> or <c>..</c>, nothing a file name cannot hold. Keeps a
    /// value such as <c>Logic:Plugin</c> inside the folder it names an entry of, whatever path it was meant to be.
    /// </summary>
    public string FolderName(string key, string fallback, string within)
    {
        var text = Text(key, fallback);
        if (text is "." or ".." || text.IndexOfAny(['/', '\\']) >= 0 || text.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || Path.IsPathRooted(text))
        {
            Errors.Add($"{prefix}{key}: '{text}' is not a plugin name: it must be the name of a folder in {within} (no '/', no '..', no absolute path).");
            return fallback;
        }

        return text;
    }

    /// <summary>The names of the sections under <paramref name="key"/> (<c>Tls:Certificates:api</c> → <c>api</c>).</summary>
    public IReadOnlyList<string> ChildNames(string key) => [.. configuration.GetSection(prefix + key).GetChildren().Select(c => c.Key)];

    /// <summary>A list: comma-separated text, or a JSON array (<c>key:0</c>, <c>key:1</c>, …); items trimmed, blanks dropped.</summary>
    public IReadOnlyList<string> List(string key)
    {
        var text = configuration[prefix + key];
        var items = text is not null ? text.Split(',') : configuration.GetSection(prefix + key).GetChildren().Select(c => c.Value ?? string.Empty);
        return [.. items.Select(i => i.Trim()).Where(i => i.Length > 0)];
    }

    /// <summary>The trimmed text, or null when the key is unset or blank.</summary>
    public string? OptionalText(string key) => string.IsNullOrWhiteSpace(configuration[prefix + key]) ? null : configuration[prefix + key]!.Trim();

    /// <summary>Throws <see cref="ConfigurationException"/> listing every error collected so far.</summary>
    public void ThrowIfInvalid()
    {
        if (Errors.Count > 0)
        {
            throw new ConfigurationException(Errors);
        }
    }

    public T Enum<T>(string key, T fallback)
        where T : struct, Enum
    {
        var text = configuration[prefix + key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!System.Enum.TryParse<T>(text, ignoreCase: true, out var value) || !System.Enum.IsDefined(value) || int.TryParse(text, out _))
        {
            Errors.Add($"{prefix}{key}: '{text}' is not one of {string.Join(", ", System.Enum.GetNames<T>())}.");
            return fallback;
        }

        return value;
    }

    /// <summary>A comma-separated list of addresses and CIDR ranges (<c>10.0.0.0/8</c>); an address alone is its own range.</summary>
    public IReadOnlyList<IPNetwork> Networks(string key)
    {
        // Comma-, space- or semicolon-separated text, or a JSON array (key:0, key:1, …) as appsettings.json gives it.
        var networks = new List<IPNetwork>();
        foreach (var item in List(key).SelectMany(i => i.Split([' ', ';'], StringSplitOptions.RemoveEmptyEntries)))
        {
            if (IPNetwork.TryParse(item, out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(item, out var address))
            {
                networks.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                Errors.Add($"{prefix}{key}: '{item}' is neither an IP address nor a CIDR range (such as 10.0.0.0/8).");
            }
        }

        return networks;
    }

    public IPAddress Address(string key, IPAddress fallback)
    {
        var text = configuration[prefix + key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (string.Equals(text, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }

        if (!IPAddress.TryParse(text, out var address))
        {
            Errors.Add($"{prefix}{key}: '{text}' is not an IP address.");
            return fallback;
        }

        return address;
    }

    /// <summary>A <see cref="Duration"/> that must be whole seconds from 0 to <paramref name="maxSeconds"/> (what a socket option takes).</summary>
    public TimeSpan WholeSeconds(string key, TimeSpan fallback, int maxSeconds)
    {
        var errors = Errors.Count;
        var value = Duration(key, fallback);
        if (Errors.Count == errors && (value.Ticks % TimeSpan.TicksPerSecond != 0 || value.TotalSeconds > maxSeconds))
        {
            Errors.Add($"{prefix}{key}: '{configuration[prefix + key]}' is not a whole number of seconds from 0 to {maxSeconds}.");
            return fallback;
        }

        return value;
    }

    /// <summary>A duration as <c>hh:mm:ss[.fff]</c> or as a number of seconds; 0 turns a timeout off.</summary>
    public TimeSpan Duration(string key, TimeSpan fallback)
    {
        var text = configuration[prefix + key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0 && seconds < TimeSpan.MaxValue.TotalSeconds)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value >= TimeSpan.Zero)
        {
            return value;
        }

        Errors.Add($"{prefix}{key}: '{text}' is not a duration (seconds, or hh:mm:ss).");
        return fallback;
    }
}
