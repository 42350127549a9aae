using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluggableNet.Server;

namespace PluggableNet.Host.Telemetry;

/// <summary>
/// A metrics/health listener on a port the operator fixed, in a host upgrade (docs/upgrade.md): the port cannot be
/// bound twice, so it is not opened before the hand-over as a port-0 one is. The old host closes its listener at the
/// hand-over, just before it says Released; the new host binds the same port once it heard that. Between the two a
/// health check may be refused for a few milliseconds; the traffic ports never are.
/// </summary>
internal sealed partial class TelemetryHttpServer
{
    /// <summary>How long the new host keeps trying to bind a fixed port after the old one let go of it.</summary>
    private static readonly TimeSpan s_bindRetries = TimeSpan.FromSeconds(10);

    private async Task ListenAfterReleaseAsync(Task oldHostReleased, IHost prepared, Func<IHost> build, HttpEndPoint[] endPoints)
    {
        await oldHostReleased.ConfigureAwait(false);
        var until = DateTime.UtcNow + s_bindRetries;
        var app = prepared;
        while (true)
        {
            try
            {
                await ListenAsync(app, endPoints, CancellationToken.None).ConfigureAwait(false);
                return;
            }
            catch (ConfigurationException exception) when (DateTime.UtcNow < until)
            {
                _logger.LogDebug("Upgrade: the metrics/health port is not free yet ({Reason}); trying again", exception.Message);
            }
            catch (ConfigurationException exception)
            {
                // The traffic is served; only the operator's view is missing. Said loudly, not fatal.
                _logger.LogError("Upgrade: the metrics/health listener could not take its port over from the old host: {Reason}; serving without it", exception.Message);
                return;
            }

            await Task.Delay(50).ConfigureAwait(false);
            app = build();
        }
    }

    /// <summary>The old host's side: closes the listener so the new host can bind its port (set only for a fixed port).</summary>
    private async Task ReleaseForHandOverAsync()
    {
        if (Interlocked.Exchange(ref _app, null) is not { } app)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await app.StopAsync(timeout.Token).ConfigureAwait(false);
        await ((IAsyncDisposable)app).DisposeAsync().ConfigureAwait(false);
        _logger.LogInformation("Upgrade: closed the metrics/health listener on its fixed port; the new host takes the port over");
    }
}
