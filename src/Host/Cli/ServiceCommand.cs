using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Service;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;

namespace PluggableNet.Host.Cli;

/// <summary>What every verb and the foreground host start from: the configuration and the service paths it resolves to.</summary>
internal static class ServiceCommand
{
    /// <summary>Builds both; on a configuration error prints it and returns null (the caller exits with 2).</summary>
    public static (IConfigurationRoot Configuration, ServiceSettings Service)? Load(HostArguments arguments)
    {
        if (!TryRead(() => arguments.BuildConfiguration(), out var configuration, out var error)
            || !TryRead(() => ServiceSettings.Read(configuration), out var service, out error))
        {
            Console.Error.WriteLine(error);
            return null;
        }

        return (configuration, service);
    }

    /// <summary>
    /// Runs <paramref name="read"/>; a configuration error (a bad value, a missing or malformed file) becomes the
    /// one-line-per-key message for the operator instead of an exception. Anything else still throws.
    /// </summary>
    public static bool TryRead<T>(Func<T> read, [MaybeNullWhen(false)] out T value, [NotNullWhen(false)] out string? error)
    {
        try
        {
            value = read();
            error = null;
            return true;
        }
        catch (Exception exception) when (Describe(exception) is { } message)
        {
            value = default;
            error = message;
            return false;
        }
    }

    /// <summary><c>0.0.0.0:9090</c>, or <c>[::]:9090</c> for IPv6.</summary>
    public static string FormatEndPoint(ServerStatus status) =>
        IPAddress.TryParse(status.Address, out var address)
            ? new IPEndPoint(address, status.Port).ToString()
            : string.Create(CultureInfo.InvariantCulture, $"{status.Address}:{status.Port}");

    private static string? Describe(Exception exception) => exception switch
    {
        ConfigurationException => exception.Message,
        FileNotFoundException or InvalidDataException or FormatException => $"Invalid configuration: {exception.Message}",

        // A file that exists but cannot be read (mode 000, a directory, an I/O error) is the operator's to fix, as
        // a bad value is: one line and exit 2, which systemd's RestartPreventExitStatus does not retry.
        UnauthorizedAccessException or IOException => $"Invalid configuration: cannot read a configuration file: {exception.Message}",
        _ => null,
    };
}
