using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;

namespace PluggableNet.Server.Reload;

/// <summary>
/// The configuration and signal triggers: the new configuration is read whole with <see cref="ServerSettings.Read"/>
/// and compared with the last valid settings, never parsed key by key here.
/// </summary>
internal sealed partial class PluginReloader
{
    private async Task<SwapResult?> ReloadFromSignalCoreAsync(CancellationToken cancellationToken)
    {
        if (_configuration is IConfigurationRoot root)
        {
            try
            {
                root.Reload();
            }
            catch (Exception exception)
            {
                _logger.LogError("Reloading the configuration failed: {Reason}; reloading the plugin with the configuration in effect", exception.Message);
            }
        }

        if (!TryAccept(out var settings, out var errors))
        {
            // Asked for explicitly, so it counts as a failed swap: `reload` and `status` report the reason.
            var reason = $"configuration rejected ({errors}); the last valid settings stay in force";
            _server.Plugins.History.Failed(reason);
            return new SwapResult(false, _server.Plugins.Current, reason);
        }

        var result = await _server.ReloadAsync(ReloadTrigger.Signal, settings.Plugin, cancellationToken).ConfigureAwait(false);
        AfterSwap(result);
        return result;
    }

    private Task<SwapResult?> OnConfigurationSettledAsync() => SerializedAsync(async cancellationToken =>
    {
        if (!TryAccept(out var settings, out _))
        {
            return null;
        }

        var current = _server.Plugins.Current;
        SwapResult result;
        if (!string.Equals(settings.Plugin, current.Name, StringComparison.OrdinalIgnoreCase))
        {
            result = await _server.ReloadAsync(ReloadTrigger.Config, settings.Plugin, cancellationToken).ConfigureAwait(false);
        }
        else if (!string.Equals(_server.Factory.SettingsSignature(current.Name), current.SettingsSignature, StringComparison.Ordinal))
        {
            result = await _server.ReloadAsync(ReloadTrigger.Config, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _logger.LogDebug("Configuration reloaded; nothing concerning plugin {Plugin} changed", current.Name);
            return null;
        }

        AfterSwap(result);
        return result;
    });

    /// <summary>
    /// Reads the configuration now in effect. Valid: it becomes the last valid settings, <c>Logic:HotReload</c> is
    /// applied, and keys that need a restart are reported. Invalid: rejected whole, logged with every key at fault.
    /// </summary>
    private bool TryAccept(out ServerSettings settings, out string? errors)
    {
        if (!TryRead(out settings, out errors))
        {
            return false;
        }

        foreach (var (key, value) in SettingsChange.NeedingRestart(_settings, settings))
        {
            _logger.LogWarning("{Key} changed to {Value}; it takes effect at the next restart", settings.KeyPrefix + key, value);
        }

        _settings = settings;
        ApplyHotReload(settings.HotReload);
        return true;
    }

    /// <summary>Reads the settings; on invalid configuration logs the error and yields the last valid settings.</summary>
    private bool TryRead(out ServerSettings settings, out string? errors)
    {
        try
        {
            var host = ServerSettings.Read(_configuration);
            if (_endpoints is not null)
            {
                foreach (var (name, change) in SettingsChange.EndpointsNeedingRestart(_endpoints, host))
                {
                    _logger.LogWarning("Endpoints:{Endpoint} {Change}; endpoints are added and removed at the next restart", name, change);
                }

                _endpoints = [.. host.Endpoints.Select(e => e.Name)];
            }

            // This reloader's endpoint; one removed from the configuration keeps serving as it is until the restart.
            settings = host.Endpoints.FirstOrDefault(e => string.Equals(e.Name, _server.Name, StringComparison.Ordinal)) ?? _settings;
            errors = null;
            return true;
        }
        catch (ConfigurationException exception)
        {
            var current = _server.Plugins.Current;
            errors = string.Join(" ", exception.Errors);
            _logger.LogError(
                "Configuration change rejected as a whole: {Errors} The last valid settings stay in force; {Plugin} {Version} keeps serving",
                errors, current.Name, current.Version);
            settings = _settings;
            return false;
        }
    }

    private void ApplyHotReload(bool wanted)
    {
        var watching = WatchingFiles;
        var plugin = _server.Plugins.Current.Name;
        if (wanted && !watching)
        {
            StartFolderWatcher(plugin);
            _logger.LogInformation("Logic:HotReload turned on: watching plugin folder {Plugin}", plugin);
        }
        else if (!wanted && watching)
        {
            Interlocked.Exchange(ref _folderWatcher, null)?.Dispose();
            _logger.LogInformation("Logic:HotReload turned off: plugin {Plugin} changes on disk are no longer swapped in", plugin);
        }
    }
}
