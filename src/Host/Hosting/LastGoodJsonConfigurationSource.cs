using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;

namespace PluggableNet.Host.Hosting;

/// <summary>
/// A watched JSON configuration file that keeps its last valid contents when a reload fails to parse.
/// </summary>
/// <remarks>
/// The stock JSON provider empties a file's settings when a reload cannot be parsed (and, with no handler, throws
/// on the file-watcher thread). For a server that reacts to configuration live, a half-saved file would then switch
/// <c>Logic:Plugin</c> back to a default, or crash the process. Here the first load still fails loudly (startup
/// must reject a broken file), while a broken reload is reported through <see cref="Rejected"/> and ignored.
/// </remarks>
internal sealed class LastGoodJsonConfigurationSource : JsonConfigurationSource
{
    /// <summary>Raised with the file and the reason when a reload is ignored.</summary>
    public static event Action<string, Exception>? Rejected;

    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new Provider(this);
    }

    private sealed class Provider(LastGoodJsonConfigurationSource source) : JsonConfigurationProvider(source)
    {
        private bool _loaded;

        public override void Load(Stream stream)
        {
            try
            {
                base.Load(stream);
                _loaded = true;
            }
            catch (Exception exception) when (_loaded)
            {
                // Data still holds the last good settings: keep them and report.
                Rejected?.Invoke(source.Path ?? "(json)", exception);
            }
        }
    }
}
