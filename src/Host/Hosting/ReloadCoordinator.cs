using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluggableNet.Host.Plugins;

namespace PluggableNet.Host.Hosting;

/// <summary>
/// Turns the three reload triggers into swaps on the running server: a changed plugin folder, a changed
/// configuration (<c>Logic:Plugin</c> or the plugin's own section), and SIGHUP. The logic lives in
/// <see cref="PluginReloader"/>; this only wires it into the generic host and the signal.
/// </summary>
internal sealed class ReloadCoordinator(ServerHostedService host, IConfiguration configuration, ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private PluginReloader? _reloader;
    private PosixSignalRegistration? _hangup;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Registered after ServerHostedService, so the server is listening by now.
        var server = host.Server ?? throw new InvalidOperationException("The server must start before the reload triggers.");
        _reloader = new PluginReloader(server, configuration, loggerFactory);
        _reloader.Start();
        if (!OperatingSystem.IsWindows())
        {
            var reloader = _reloader;
            _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                // SIGHUP's default action ends the process; here it means "reload", as for nginx.
                context.Cancel = true;
                _ = reloader.ReloadFromSignalAsync();
            });
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stopped before the server (hosted services stop in reverse order): no swap starts during the drain.
        _hangup?.Dispose();
        _hangup = null;
        if (_reloader is not null)
        {
            await _reloader.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _hangup?.Dispose();
        if (_reloader is not null)
        {
            await _reloader.DisposeAsync().ConfigureAwait(false);
        }
    }
}
