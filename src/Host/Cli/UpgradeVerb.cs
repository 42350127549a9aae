using System.Net.Sockets;
using System.Text;
using PluggableNet.Host.Upgrade;

namespace PluggableNet.Host.Cli;

/// <summary>
/// <c>upgrade [--binary PATH] [--timeout SECONDS] [--port PORT]</c>: asks the running host, over its control socket, to
/// hand over to a new host (the binary given, else its own program as it is on disk now) and prints the outcome.
/// Exit 0 once the new host serves; 1 when the old host serves on (the reason printed); 7 when no host runs.
/// </summary>
internal static class UpgradeVerb
{
    public static async Task<int> RunAsync(HostArguments arguments, string? binary, TimeSpan timeout, int? port)
    {
        if (ServiceCommand.Load(arguments) is not { Service: var service })
        {
            return HostApp.ExitInvalidConfiguration;
        }

        var found = await HostLocator.FindAsync(service, port).ConfigureAwait(false);
        if (found.Count > 1)
        {
            await Console.Error.WriteLineAsync(HostLocator.DescribeChoice(found, "upgrade")).ConfigureAwait(false);
            return HostApp.ExitInvalidConfiguration;
        }

        if (found.Count == 0)
        {
            await Console.Error.WriteLineAsync("not running").ConfigureAwait(false);
            return ServiceController.ActionNotRunning;
        }

        var host = found[0];
        var line = await AskAsync(host.ControlSocket, UpgradeCommand.Format(timeout, binary is null ? null : Path.GetFullPath(binary)), timeout + TimeSpan.FromSeconds(15)).ConfigureAwait(false);
        if (line is null || UpgradeResult.FromJson(line) is not { } result)
        {
            await Console.Error.WriteLineAsync($"pid {host.Status.Pid} gave no answer on {host.ControlSocket}{(line is null ? string.Empty : ": " + line)}").ConfigureAwait(false);
            return 1;
        }

        if (!result.Upgraded)
        {
            await Console.Error.WriteLineAsync($"upgrade of pid {host.Status.Pid} failed: {result.Message}").ConfigureAwait(false);
            return 1;
        }

        Console.WriteLine(result.Message);
        return HostApp.ExitOk;
    }

    private static async Task<string?> AskAsync(string path, string command, TimeSpan timeout)
    {
        try
        {
            using var cancellation = new CancellationTokenSource(timeout);
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellation.Token).ConfigureAwait(false);
            await socket.SendAsync(Encoding.UTF8.GetBytes(command + "\n"), SocketFlags.None, cancellation.Token).ConfigureAwait(false);
            using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return await reader.ReadLineAsync(cancellation.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException or IOException)
        {
            return null;
        }
    }
}
