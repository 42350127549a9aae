using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using PluggableNet;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;

// In the namespace every Microsoft.Extensions registration lives in, so `builder.Services.AddPluggableNet` needs no using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds a PluggableNet server to any Microsoft.Extensions host, as <c>UseKestrel</c> adds Kestrel.</summary>
public static class PluggableNetServiceCollectionExtensions
{
    /// <summary>
    /// Adds a PluggableNet server that loads <c>Logic:Plugin</c> from <c>Logic:PluginsPath</c> and swaps it live when its
    /// folder, its <c>Plugins:&lt;Name&gt;</c> section or <c>Logic:Plugin</c> changes (and on SIGHUP), exactly as the
    /// PluggableNet executable does.
    /// </summary>
    /// <param name="services">The application's services; the server uses its logging, <c>IMeterFactory</c> and health checks.</param>
    /// <param name="configuration">
    /// The section holding the executable's keys (<c>Server:Port</c>, <c>Logic:Plugin</c>, <c>Limits:*</c>, …), for example
    /// <c>builder.Configuration.GetSection("PluggableNet")</c>. Read and validated here: an invalid key throws
    /// <see cref="ConfigurationException"/> naming it, before the host starts.
    /// </param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddPluggableNet(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddPluggableNet(new ServerRegistration(configuration, ReadSettings(configuration), Plugin: null));
    }

    /// <summary>
    /// Adds a PluggableNet server whose plugin is <typeparamref name="TPlugin"/>, built from the application's container:
    /// no assembly loading and no swap. <c>Logic:Plugin</c> and <c>Logic:PluginsPath</c> are ignored.
    /// </summary>
    /// <typeparam name="TPlugin">The plugin; its constructor may take any service the application registers.</typeparam>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The section holding the server's keys, as for <see cref="AddPluggableNet(IServiceCollection, IConfiguration)"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddPluggableNet<TPlugin>(this IServiceCollection services, IConfiguration configuration)
        where TPlugin : class, ILogicPlugin
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddPluggableNet(new ServerRegistration(configuration, ReadSettings(configuration), sp => ActivatorUtilities.CreateInstance<TPlugin>(sp)));
    }

    /// <summary>Adds a PluggableNet server that serves <paramref name="plugin"/>: no assembly loading and no swap.</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The section holding the server's keys, as for <see cref="AddPluggableNet(IServiceCollection, IConfiguration)"/>.</param>
    /// <param name="plugin">The plugin instance; the server disposes it when it stops, if it is disposable.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddPluggableNet(this IServiceCollection services, IConfiguration configuration, ILogicPlugin plugin)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(plugin);
        return services.AddPluggableNet(new ServerRegistration(configuration, ReadSettings(configuration), _ => plugin));
    }

    /// <summary>Reads and validates the server's keys; errors name the full key path (<c>PluggableNet:Server:Port</c>).</summary>
    private static ServerSettings ReadSettings(IConfiguration configuration)
    {
        try
        {
            return ServerSettings.Read(configuration);
        }
        catch (ConfigurationException exception) when (configuration is IConfigurationSection { Path.Length: > 0 } section)
        {
            throw new ConfigurationException([.. exception.Errors.Select(error => $"{section.Path}:{error}")]);
        }
    }

    /// <summary>The one composition of the server, for embedders and for the executable (which reads its settings itself).</summary>
    internal static IServiceCollection AddPluggableNet(this IServiceCollection services, ServerRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(ServerRegistration)))
        {
            throw new InvalidOperationException("AddPluggableNet was already called: one PluggableNet server per host.");
        }

        services.AddSingleton(registration);
        services.TryAddSingleton<ServerHostedService>();
        services.TryAddSingleton<IPluggableNetServer>(sp => sp.GetRequiredService<ServerHostedService>());
        services.AddHostedService(sp => sp.GetRequiredService<ServerHostedService>());
        if (registration.Plugin is null)
        {
            // Registered after the server, so it starts once the server listens and stops before it drains.
            services.AddHostedService(sp => new ReloadCoordinator(sp.GetRequiredService<ServerHostedService>(), registration.Configuration, sp.GetRequiredService<Logging.ILoggerFactory>()));
        }

        services.Configure<HostOptions>(o =>
        {
            // The host waits for the whole drain before it gives up on the server's stop.
            var drain = registration.Settings.Observability.DrainDelay + registration.Settings.DrainTimeout + TimeSpan.FromSeconds(5);
            if (o.ShutdownTimeout < drain)
            {
                o.ShutdownTimeout = drain;
            }
        });
        services.AddHealthChecks().AddCheck<ReadinessHealthCheck>("pluggablenet", tags: ["ready"]);
        return services;
    }
}
