using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PluggableNet.Server.Hosting;

/// <summary>
/// The server's readiness as one of the application's own health checks (tag <c>ready</c>): healthy once every endpoint listens
/// with a plugin loaded, unhealthy before that and from the first moment of a stop, so a balancer stops sending first.
/// Its data says, per endpoint name, <c>ready</c> or <c>not ready</c>, as the executable's <c>/readyz/&lt;Name&gt;</c> does.
/// </summary>
internal sealed class ReadinessHealthCheck(ServerHostedService server) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var endpoints = server.Servers.ToDictionary(s => s.Name, s => (object)(s.IsReady ? "ready" : "not ready"));
        return Task.FromResult(server.Servers switch
        {
            [] => HealthCheckResult.Unhealthy("PluggableNet has not started"),
            _ when server.IsReady => HealthCheckResult.Healthy(string.Join("; ", server.Servers.Select(s => $"{s.Name}: listening on {s.LocalEndPoint}, plugin {s.Plugins.Current.Name}")), endpoints),
            _ when !server.IsLive => HealthCheckResult.Unhealthy("PluggableNet's reactors stopped scanning: " + string.Join(", ", server.Servers.Where(s => !s.IsLive).Select(s => s.Name)), data: endpoints),
            _ => HealthCheckResult.Unhealthy("PluggableNet is stopping or an endpoint is not ready: " + string.Join(", ", server.Servers.Where(s => !s.IsReady).Select(s => s.Name)), data: endpoints),
        });
    }
}
