using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;

namespace PluggableNet.Server.Hosting;

/// <summary>
/// Turns the three reload triggers into swaps on the running server: a changed plugin folder, a changed
/// configuration (<c>Logic:Plugin</c> or the plugin's own section), and SIGHUP. The logic lives in
/// <see cref="PluginReloader"/>; this only wires it into the generic host and the signal.
/// </summary>
internal sealed class ReloadCoordinator : IHostedService, IAsyncDisposable
{
    private readonly ServerHostedService _host;
    private readonly IConfiguration _configuration;
    private readonly ILoggerFactory _loggerFactory;
    private PluginReloader[]? _reloaders;
    private PosixSignalRegistration? _hangup;
    private int _signalBeforeStart;

    public ReloadCoordinator(ServerHostedService host, IConfiguration configuration, ILoggerFactory loggerFactory)
    {
        _host = host;
        _configuration = configuration;
        _loggerFactory = loggerFactory;

        // Taken over as soon as the host builds its services, before the server starts: SIGHUP's default action ends
        // the process, and a reload asked for while the listener opens must not kill it. It runs once we are ready.
        if (!OperatingSystem.IsWindows())
        {
            _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                if (Volatile.Read(ref _reloaders) is { } reloaders)
                {
                    // Every endpoint reloads its plugin.
                    foreach (var reloader in reloaders)
                    {
                        _ = reloader.ReloadFromSignalAsync();
                    }

                    // As nginx does on SIGHUP: the certificate files are read again too.
                    foreach (var server in _host.Servers)
                    {
                        if (server.Certificates is { } certificates)
                        {
                            _ = Task.Run(() => certificates.Reload("signal"));
                        }
                    }
                }
                else
                {
                    Volatile.Write(ref _signalBeforeStart, 1);
                }
            });
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Registered after ServerHostedService, so the server is listening by now.
        var servers = _host.Servers.Count > 0 ? _host.Servers : throw new InvalidOperationException("The server must start before the reload triggers.");

        // One reloader per endpoint: each swaps its own plugin, on its own folder and its own Logic:Plugin; the first
        // also reports endpoints added or removed, which wait for a restart.
        var names = servers.Select(s => s.Name).ToArray();
        var reloaders = servers.Select((s, i) => new PluginReloader(s, _configuration, _loggerFactory, endpoints: i == 0 ? names : null)).ToArray();
        foreach (var reloader in reloaders)
        {
            reloader.Start();
        }

        Volatile.Write(ref _reloaders, reloaders);
        if (Interlocked.Exchange(ref _signalBeforeStart, 0) == 1)
        {
            foreach (var reloader in reloaders)
            {
                _ = reloader.ReloadFromSignalAsync();
            }
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stopped before the server (hosted services stop in reverse order): no swap starts during the drain.
        _hangup?.Dispose();
        _hangup = null;
        foreach (var reloader in _reloaders ?? [])
        {
            await reloader.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _hangup?.Dispose();
        foreach (var reloader in _reloaders ?? [])
        {
            await reloader.DisposeAsync().ConfigureAwait(false);
        }
    }
}
