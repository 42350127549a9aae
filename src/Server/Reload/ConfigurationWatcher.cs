using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace PluggableNet.Server.Reload;

/// <summary>
/// Reports configuration reloads, debounced: a JSON file's change token commonly fires twice per save (the
/// editor truncates, then writes), and only the settled configuration should be acted on.
/// </summary>
internal sealed class ConfigurationWatcher : IDisposable
{
    private readonly IDisposable _registration;
    private readonly Debouncer _debouncer;

    /// <summary>Calls <paramref name="settled"/> once <paramref name="configuration"/> has stopped changing for <paramref name="debounce"/>.</summary>
    public ConfigurationWatcher(IConfiguration configuration, TimeSpan debounce, Action settled)
    {
        _debouncer = new Debouncer(debounce, settled);
        _registration = ChangeToken.OnChange(configuration.GetReloadToken, _debouncer.Signal);
    }

    public void Dispose()
    {
        _registration.Dispose();
        _debouncer.Dispose();
    }
}
