using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PluggableNet.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="PluggableNetClient"/> in a service container, as Kestrel's <c>UseKestrel</c> does for the server.</summary>
public static class PluggableNetClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers one shared <see cref="PluggableNetClient"/> (a singleton, disposed with the container) whose
    /// <see cref="PluggableNetClientOptions"/> are set by <paramref name="configure"/> and validated: an invalid option
    /// fails the host at start (<c>ValidateOnStart</c>), or the first resolution, with an
    /// <see cref="OptionsValidationException"/> naming it. It logs through the container's <see cref="ILogger{TCategoryName}"/>.
    /// </summary>
    public static IServiceCollection AddPluggableNetClient(this IServiceCollection services, Action<PluggableNetClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<PluggableNetClientOptions>().Configure(configure).ValidateOnStart();
        return AddClient(services);
    }

    /// <summary>
    /// As <see cref="AddPluggableNetClient(IServiceCollection, Action{PluggableNetClientOptions})"/>, with the options
    /// bound from <paramref name="section"/> (e.g. <c>configuration.GetSection("PluggableNetClient")</c>): each property
    /// by name, <c>Endpoints</c> as a list of <c>host:port</c> (<c>Endpoints:0=127.0.0.1:9090</c>) or one comma-separated
    /// value, <c>Framing</c> as <c>AsciiDecimal</c> or <c>UInt32BigEndian</c>, durations as <c>00:00:05</c>.
    /// </summary>
    public static IServiceCollection AddPluggableNetClient(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return services.AddPluggableNetClient(options => PluggableNetClientOptionsBinder.Bind(section, options));
    }

    private static IServiceCollection AddClient(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PluggableNetClientOptions>, PluggableNetClientOptionsValidator>());
        services.TryAddSingleton(provider => new PluggableNetClient(
            provider.GetRequiredService<IOptions<PluggableNetClientOptions>>().Value,
            provider.GetService<ILogger<PluggableNetClient>>()));
        return services;
    }
}
