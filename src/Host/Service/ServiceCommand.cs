using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using PluggableNet.Host.Hosting;

namespace PluggableNet.Host.Service;

/// <summary>What every service verb starts from: the configuration and the service paths it resolves to.</summary>
internal static class ServiceCommand
{
    /// <summary>Builds both; on a configuration error prints it and returns null (the caller exits with 2).</summary>
    public static (IConfigurationRoot Configuration, ServiceSettings Service)? Load(string[] arguments)
    {
        try
        {
            var configuration = HostApp.BuildConfiguration(arguments);
            return (configuration, ServiceSettings.Read(configuration));
        }
        catch (Exception exception) when (exception is FileNotFoundException or InvalidDataException or FormatException)
        {
            Console.Error.WriteLine($"Invalid configuration: {exception.Message}");
            return null;
        }
        catch (ConfigurationException exception)
        {
            Console.Error.WriteLine(exception.Message);
            return null;
        }
    }

    /// <summary><c>0.0.0.0:9090</c>, or <c>[::]:9090</c> for IPv6.</summary>
    public static string FormatEndPoint(HostStatus status) =>
        IPAddress.TryParse(status.Address, out var address)
            ? new IPEndPoint(address, status.Port).ToString()
            : string.Create(CultureInfo.InvariantCulture, $"{status.Address}:{status.Port}");
}
