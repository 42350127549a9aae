using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PluggableNet.Server.Hosting;

/// <summary>
/// The server's readiness as one of the application's own health checks (tag <c>ready</c>): healthy once it listens
/// with a plugin loaded, unhealthy before that and from the first moment of a stop, so a balancer stops sending first.
/// </summary>
internal sealed class ReadinessHealthCheck(ServerHostedService server) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(server.Server switch
        {
            null => HealthCheckResult.Unhealthy("PluggableNet has not started"),
            { IsReady: true } running => HealthCheckResult.Healthy($"listening on {running.LocalEndPoint}, plugin {running.Plugins.Current.Name}"),
            { IsLive: false } => HealthCheckResult.Unhealthy("PluggableNet's reactors stopped scanning"),
            _ => HealthCheckResult.Unhealthy("PluggableNet is stopping"),
        });
}
