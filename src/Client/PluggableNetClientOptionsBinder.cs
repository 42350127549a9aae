using Microsoft.Extensions.Configuration;

namespace PluggableNet.Client;

/// <summary>
/// Reads <see cref="PluggableNetClientOptions"/> from configuration: the plain properties with the configuration
/// binder, <c>Endpoints</c> by hand, since an <see cref="System.Net.EndPoint"/> has no text form the binder knows.
/// </summary>
internal static class PluggableNetClientOptionsBinder
{
    public static void Bind(IConfiguration section, PluggableNetClientOptions options)
    {
        var endpoints = section.GetSection(nameof(options.Endpoints));
        var texts = endpoints.Value is { } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : endpoints.GetChildren().Select(c => c.Value).OfType<string>().ToArray();
        foreach (var text in texts)
        {
            try
            {
                options.Endpoints.Add(PluggableNetClientOptions.ParseEndpoint(text));
            }
            catch (FormatException exception)
            {
                throw new InvalidOperationException($"{endpoints.Path}: {exception.Message}", exception);
            }
        }

        // Everything but Endpoints, which the binder would try (and fail) to build from text.
        section.Bind(options, binder => binder.ErrorOnUnknownConfiguration = false);
    }
}
