using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Transport;

namespace PluggableNet.Host.Configuration;

/// <summary>The host's configuration sources, in the order in which later ones win.</summary>
internal static class HostConfiguration
{
    /// <summary>The prefix of environment variables read as configuration: <c>PLUGGABLENET_Server__Port=19090</c>.</summary>
    public const string EnvironmentPrefix = "PLUGGABLENET_";

    /// <summary>How long after a file's change event it is read.</summary>
    private const int ReloadDelayMs = 50;

    /// <summary>
    /// appsettings.json beside the host, then <paramref name="configFile"/> (both watched, and a half-saved file
    /// keeps the last valid contents), then <c>PLUGGABLENET_</c> environment variables, then
    /// <paramref name="overrides"/> (the last one for a key wins). The overrides arrive parsed: nothing here
    /// parses a command line.
    /// </summary>
    /// <remarks>
    /// A changed file is read 50 ms after its change event (the stock provider waits 250 ms): a save caught half-way
    /// is rejected and keeps the last valid contents, and the writer's next event reads it again, so the wait only
    /// has to cover the common case. Together with the reloader's 50 ms debounce, a switch of <c>Logic:Plugin</c>
    /// reaches new requests well within 300 ms.
    /// </remarks>
    public static IConfigurationRoot Build(string? configFile, IEnumerable<KeyValuePair<string, string>> overrides)
    {
        var builder = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .Add(new LastGoodJsonConfigurationSource { Path = "appsettings.json", Optional = true, ReloadOnChange = true, ReloadDelay = ReloadDelayMs });
        if (configFile is not null)
        {
            var full = Path.GetFullPath(configFile);
            builder.Add(new LastGoodJsonConfigurationSource
            {
                FileProvider = new PhysicalFileProvider(Path.GetDirectoryName(full)!),
                Path = Path.GetFileName(full),
                Optional = false,
                ReloadOnChange = true,
                ReloadDelay = ReloadDelayMs,
            });
        }

        var lastWins = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in overrides)
        {
            lastWins[key] = value;
        }

        return builder
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddInMemoryCollection(lastWins)
            .Build();
    }
}
