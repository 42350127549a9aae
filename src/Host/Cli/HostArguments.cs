using Microsoft.Extensions.Configuration;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;

namespace PluggableNet.Host.Cli;

/// <summary>
/// A command line split once into what the configuration is built from: the <c>--config FILE</c>, the
/// <c>--pidfile PATH</c>, and the configuration overrides (<c>--Server:Port=19090</c> or <c>--Logic:Plugin Upper</c>)
/// in the order given. Every verb and the foreground host take their configuration from this record and nothing
/// else reads the raw tokens, so a path can never be mistaken for an override or the other way round.
/// </summary>
internal sealed record HostArguments
{
    private const string FormHint = "Configuration overrides look like --Section:Key=value; see --help.";

    /// <summary>The <c>--config</c> file, absolute (a daemon runs from <c>/</c>), or null.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>The <c>--pidfile</c>, absolute, or null. It becomes <c>Service:PidFile</c>, over any override of it.</summary>
    public string? PidFile { get; init; }

    /// <summary>The overrides in command-line order; a later one for the same key wins, as on any command line.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Overrides { get; init; } = [];

    /// <summary>What the configuration gets on top of files and environment: the overrides, then the pidfile.</summary>
    public IEnumerable<KeyValuePair<string, string>> ConfigurationOverrides =>
        PidFile is null ? Overrides : [.. Overrides, new("Service:PidFile", PidFile)];

    /// <summary>
    /// Splits the tokens the verb's parser did not recognize into overrides. Returns null and an
    /// <paramref name="error"/> naming the token for anything that cannot be an override, so a mistyped option is
    /// reported instead of silently ignored.
    /// </summary>
    public static HostArguments? Create(IReadOnlyList<string> unmatched, string? configFile, string? pidFile, out string? error)
    {
        var overrides = new List<KeyValuePair<string, string>>();
        for (var i = 0; i < unmatched.Count; i++)
        {
            var token = unmatched[i];
            if (!token.StartsWith("--", StringComparison.Ordinal))
            {
                error = $"Unexpected argument '{token}'. {FormHint}";
                return null;
            }

            var equals = token.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? token[2..] : token[2..equals];
            if (!key.Contains(':', StringComparison.Ordinal) || key.StartsWith(':') || key.EndsWith(':'))
            {
                error = $"Unrecognized option '{token}'. {FormHint}";
                return null;
            }

            if (equals >= 0)
            {
                overrides.Add(new(key, token[(equals + 1)..]));
                continue;
            }

            // "--Section:Key value": the next token is the value, whatever it looks like.
            if (i + 1 >= unmatched.Count)
            {
                error = $"Configuration override '{token}' has no value.";
                return null;
            }

            overrides.Add(new(key, unmatched[++i]));
        }

        error = null;
        return new HostArguments
        {
            ConfigFile = configFile is null ? null : Path.GetFullPath(configFile),
            PidFile = pidFile is null ? null : Path.GetFullPath(pidFile),
            Overrides = overrides,
        };
    }

    /// <summary>These arguments with <paramref name="key"/> set last, so it wins over any earlier override of it.</summary>
    public HostArguments With(string key, string value) => this with { Overrides = [.. Overrides, new(key, value)] };

    /// <summary>appsettings.json, the <c>--config</c> file, <c>PLUGGABLENET_</c> variables, then the overrides.</summary>
    public IConfigurationRoot BuildConfiguration() => HostConfiguration.Build(ConfigFile, ConfigurationOverrides);

    /// <summary>The same arguments as a command line (for the daemon <c>start</c> launches), in the one form <see cref="Create"/> reads back.</summary>
    public IReadOnlyList<string> ToCommandLine()
    {
        var tokens = new List<string>();
        if (ConfigFile is not null)
        {
            tokens.Add("--config");
            tokens.Add(ConfigFile);
        }

        if (PidFile is not null)
        {
            tokens.Add("--pidfile");
            tokens.Add(PidFile);
        }

        tokens.AddRange(Overrides.Select(pair => $"--{pair.Key}={pair.Value}"));
        return tokens;
    }
}
