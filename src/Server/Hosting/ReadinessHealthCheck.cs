using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PluggableNet.Server.Hosting;

/// <summary>
/// The server's readiness as one of the application's own health checks (tag <c>ready</c>): healthy once every endpoint listens
/// with a plugin loaded, unhealthy before that and from the first moment of a stop, so a balancer stops sending first.
/// </summary>
internal sealed class ReadinessHealthCheck(ServerHostedService server) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(server.Servers switch
        {
            [] => HealthCheckResult.Unhealthy("PluggableNet has not started"),
            _ when server.IsReady => HealthCheckResult.Healthy(string.Join("; ", server.Servers.Select(s => $"{s.Name}: listening on {s.LocalEndPoint}, plugin {s.Plugins.Current.Name}"))),
            _ when !server.IsLive => HealthCheckResult.Unhealthy("PluggableNet's reactors stopped scanning: " + string.Join(", ", server.Servers.Where(s => !s.IsLive).Select(s => s.Name))),
            _ => HealthCheckResult.Unhealthy("PluggableNet is stopping or an endpoint is not ready: " + string.Join(", ", server.Servers.Where(s => !s.IsReady).Select(s => s.Name))),
        });
}
