using System.Diagnostics;
using System.Reflection;
using PluggableNet.Host.Service;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// How the old host starts the new one: the same arguments, environment and working directory as its own (so the
/// new host reads the same configuration), with <c>--binary</c> replacing the program. A <c>.dll</c> runs under the
/// <c>dotnet</c> muxer; anything else (an apphost, a wrapper script) is executed as it is. The channel's path is the
/// one thing added.
/// </summary>
internal static class NewHostCommand
{
    /// <summary>Marks a new host whose old host ran under systemd: it takes the notify socket over (MAINPID, READY).</summary>
    public const string SystemdVariable = "PLUGGABLENET_UPGRADE_SYSTEMD";

    public static ProcessStartInfo Create(string? binary, string channelPath, bool underSystemd)
    {
        var processPath = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell which executable is running.");
        var muxer = HostProcessProbe.IsDotnetMuxer(processPath);
        var program = binary is null
            ? processPath
            : binary.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? (muxer ? processPath : "dotnet") : Path.GetFullPath(binary);
        var info = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            WorkingDirectory = Environment.CurrentDirectory,
        };

        if (binary is null && muxer)
        {
            info.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }
        else if (binary is not null && binary.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            info.ArgumentList.Add(Path.GetFullPath(binary));
        }

        // Our own arguments, as given (the first is the program or the entry assembly).
        foreach (var argument in Environment.GetCommandLineArgs().Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment[HandOverProtocol.ChannelVariable] = channelPath;
        if (underSystemd)
        {
            info.Environment[SystemdVariable] = "1";
        }

        return info;
    }

    /// <summary>The words for a new host's exit code (HostApp's codes).</summary>
    public static string DescribeExit(int code) => code switch
    {
        0 => "exit 0",
        2 => "exit 2: it refuses its configuration",
        3 => "exit 3: it cannot load its plugin",
        4 => "exit 4: it cannot listen",
        5 => "exit 5: another host holds the pidfile",
        6 => "exit 6: the hand-over was refused",
        134 or 139 => $"exit {code}: it crashed",
        137 => "exit 137: it was killed (SIGKILL)",
        _ => $"exit {code}",
    };
}
