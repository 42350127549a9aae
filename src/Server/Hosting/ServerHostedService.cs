using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Reload;
using PluggableNet.Server.Transport;

namespace PluggableNet.Server.Hosting;

/// <summary>
/// Runs one <see cref="PluggableServer"/> per endpoint inside the generic host: starts them all (so systemd hears
/// READY only once every listener accepts), stops them gracefully and together on SIGTERM/Ctrl+C. A TLS endpoint's
/// certificate files are watched from start to stop, whether or not the plugin can be swapped.
/// </summary>
/// <remarks>
/// The stop starts in <see cref="StoppingAsync"/>, which the generic host calls before any service's
/// <c>StopAsync</c>: SIGTERM stops accepting at once, even while the reload coordinator's <c>StopAsync</c> would
/// wait for a swap in progress, and the whole stop keeps to <c>Server:DrainTimeout</c>.
/// </remarks>
internal sealed class ServerHostedService(ServerRegistration registration, IServiceProvider services, ILoggerFactory loggerFactory, IMeterFactory? meterFactory = null, InheritedListeners? inherited = null, IUpgradeHandOver? upgrade = null) : IHostedLifecycleService, IPluggableNetServer, IAsyncDisposable
{
    private readonly List<CertificateWatcher> _certificates = [];

    /// <summary>The first endpoint (the only one without <c>Endpoints</c> sections); null until started.</summary>
    public PluggableServer? Server => Servers.Count > 0 ? Servers[0] : null;

    /// <summary>Every endpoint, in name order (as configuration lists sections); empty until started.</summary>
    public IReadOnlyList<PluggableServer> Servers { get; private set; } = [];

    /// <summary>The host is ready when every endpoint is (each listening, a plugin loaded, not stopping).</summary>
    public bool IsReady => Servers.Count > 0 && Servers.All(s => s.IsReady);

    /// <summary>The host's status: the first endpoint's figures, ready only when every endpoint is, and each endpoint's own status.</summary>
    public ServerStatus Status()
    {
        var endpoints = Servers.Select(s => s.Status()).ToList();
        return endpoints[0] with { Ready = endpoints.TrueForAll(e => e.Ready), Endpoints = endpoints };
    }

    /// <summary>The host is live when every endpoint's loops still scan.</summary>
    public bool IsLive => Servers.All(s => s.IsLive);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var endpoints = registration.Settings.Endpoints.Count > 0 ? registration.Settings.Endpoints : [registration.Settings];
        if (registration.Plugin is not null && endpoints.Count > 1)
        {
            throw new ConfigurationException([$"Endpoints: {endpoints.Count} endpoints, but a plugin registered in DI serves one; use plugin folders (Logic:Plugin) for several."]);
        }

        var plugin = registration.Plugin?.Invoke(services);
        var started = new List<PluggableServer>();
        try
        {
            if (upgrade is not null)
            {
                StartHandedOver(endpoints, plugin, started);
            }
            else
            {
                foreach (var endpoint in endpoints)
                {
                    // A socket handed over by systemd is the endpoint's its name names (docs/service.md).
                    started.Add(PluggableServer.Start(endpoint, registration.Configuration, loggerFactory, meterFactory, inherited?.For(endpoint.Name), plugin));
                }
            }
        }
        catch
        {
            // An endpoint that cannot start stops the host: the ones already listening close again.
            foreach (var server in started)
            {
                server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            throw;
        }

        Servers = started;
        foreach (var server in started)
        {
            if (server.Certificates is { } certificates)
            {
                _certificates.Add(new CertificateWatcher(certificates, loggerFactory.CreateLogger("PluggableNet.Tls")));
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// A host upgrade's new host: every endpoint prepared first, then the old host's sockets, then every endpoint
    /// accepts, then the old host is told (it stops accepting). <paramref name="started"/> collects what to dispose on failure.
    /// </summary>
    private void StartHandedOver(IReadOnlyList<ServerSettings> endpoints, ILogicPlugin? plugin, List<PluggableServer> started)
    {
        foreach (var endpoint in endpoints)
        {
            started.Add(PluggableServer.Prepare(endpoint, registration.Configuration, loggerFactory, meterFactory, plugin));
        }

        var listeners = upgrade!.TakeListeners(started);
        foreach (var server in started)
        {
            listeners.TryGetValue(server.Name, out var listener);
            if (listener is not null && server.Settings.EndPoint.Port != 0 && server.Settings.EndPoint.Port != listener.EndPoint.Port)
            {
                // The configuration moved this endpoint: it binds its new address, the old port closes with the old host.
                Interop.Libc.close(listener.Fd);
                listener = null;
            }

            try
            {
                server.Listen(listener);
            }
            catch
            {
                // Listen disposed it already.
                started.Remove(server);
                throw;
            }
        }

        foreach (var (name, unused) in listeners)
        {
            if (!started.Exists(s => s.Name == name))
            {
                // An endpoint the new configuration no longer has: its port closes with the old host.
                Interop.Libc.close(unused.Fd);
            }
        }

        upgrade.Serving(started);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        DisposeWatchers();
        return StopAllAsync();
    }

    /// <summary>The stop begun in <see cref="StoppingAsync"/> (one stop per endpoint, whoever asks).</summary>
    public Task StopAsync(CancellationToken cancellationToken) => StopAllAsync();

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        DisposeWatchers();
        foreach (var server in Servers)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Every endpoint drains at once, each within its own <c>Server:DrainTimeout</c>.</summary>
    private Task StopAllAsync() => Task.WhenAll(Servers.Select(s => s.StopAsync()));

    private void DisposeWatchers()
    {
        foreach (var watcher in _certificates)
        {
            watcher.Dispose();
        }
    }
}
