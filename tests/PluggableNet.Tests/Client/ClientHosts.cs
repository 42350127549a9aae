using System.Net;
using PluggableNet.Client;

namespace PluggableNet.Tests.Client;

/// <summary>Client options for hosts on loopback, with timeouts generous enough for a loaded 2-core machine.</summary>
internal static class ClientHosts
{
    public static PluggableNetClientOptions Options(params IPEndPoint[] endpoints)
    {
        var options = new PluggableNetClientOptions
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            RequestTimeout = TimeSpan.FromSeconds(20),
            EndpointDownTime = TimeSpan.FromMilliseconds(200),
        };
        foreach (var endpoint in endpoints)
        {
            options.Endpoints.Add(endpoint);
        }

        return options;
    }

    public static string Reverse(string text)
    {
        var chars = text.ToCharArray();
        Array.Reverse(chars);
        return new string(chars);
    }
}
