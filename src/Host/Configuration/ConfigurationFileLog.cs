namespace PluggableNet.Host.Configuration;

/// <summary>
/// Logs what happens to the watched configuration files (an edit rejected, a file gone, a file back) for one run of
/// the host, and stops when disposed: the sources' events are static, so a subscription must not outlive its logger.
/// </summary>
internal sealed class ConfigurationFileLog : IDisposable
{
    private readonly Serilog.ILogger _logger;

    private ConfigurationFileLog(Serilog.ILogger logger)
    {
        _logger = logger;
        LastGoodJsonConfigurationSource.Rejected += OnRejected;
        LastGoodJsonConfigurationSource.Vanished += OnVanished;
        LastGoodJsonConfigurationSource.Returned += OnReturned;
    }

    public static ConfigurationFileLog Attach(Serilog.ILogger logger) => new(logger);

    public void Dispose()
    {
        LastGoodJsonConfigurationSource.Rejected -= OnRejected;
        LastGoodJsonConfigurationSource.Vanished -= OnVanished;
        LastGoodJsonConfigurationSource.Returned -= OnReturned;
    }

    private void OnRejected(string file, Exception exception) =>
        _logger.Error("Ignored the new contents of {File}: {Reason}; the last valid settings stay in force", file, exception.GetBaseException().Message);

    private void OnVanished(string file) =>
        _logger.Warning("Configuration file {File} is gone; its last valid settings stay in force until it is back", file);

    private void OnReturned(string file) => _logger.Information("Configuration file {File} is back; reading it", file);
}
