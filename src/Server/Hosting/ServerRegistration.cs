using Microsoft.Extensions.Configuration;

namespace PluggableNet.Server.Hosting;

/// <summary>
/// What <c>AddPluggableNet</c> was given: the configuration section the server reads (its <c>Server:*</c>,
/// <c>Logic:*</c>, <c>Plugins:&lt;Name&gt;</c> keys), the settings read and validated from it, and, for a plugin
/// registered in DI, how to get it.
/// </summary>
internal sealed record ServerRegistration(IConfiguration Configuration, ServerSettings Settings, Func<IServiceProvider, ILogicPlugin>? Plugin);
