using System.Diagnostics;
using System.Reflection;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Service;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Interop;
using PluggableNet.Server.Reload;

namespace PluggableNet.Host.Cli;

/// <summary>
/// <c>start</c>: launches this same host as a background daemon (<c>run --daemon</c>) and waits until it either
/// answers <c>status</c> on its control socket, which it only does once the listener accepts, or exits, in which
/// case its startup error is read back from the console file and reported with its exit code.
/// </summary>
internal static class DaemonLauncher
{
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(50);

    public static async Task<int> StartAsync(HostArguments arguments, TimeSpan timeout)
    {
        if (ServiceCommand.Load(arguments) is not { } loaded)
        {
            return HostApp.ExitInvalidConfiguration;
        }

        var (configuration, service) = loaded;

        // The daemon would fail the same way, but only into its log; say it here instead.
        if (!ServiceCommand.TryRead(() => ServerSettings.Read(configuration), out _, out var error))
        {
            await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
            return HostApp.ExitInvalidConfiguration;
        }

        if (PidFile.ReadPid(service.PidFile) is { } previous && !HostProcessProbe.IsRunningHost(previous))
        {
            Console.WriteLine($"stale pidfile {service.PidFile} (pid {previous} is not running); replacing it");
        }

        // The log directory is private (0700), as the daemon that writes there would create it.
        PrivatePaths.EnsureDirectory(Path.GetDirectoryName(service.ConsoleFile)!);
        ConsoleFileRotation.RotateIfOver(service.ConsoleFile, service.ConsoleFileSizeLimit);
        var consoleOffset = File.Exists(service.ConsoleFile) ? new FileInfo(service.ConsoleFile).Length : 0;
        InheritOnlyStandardStreams();
        using var daemon = Process.Start(StartInfo(arguments, service))
            ?? throw new InvalidOperationException("The daemon process did not start.");

        var exited = daemon.WaitForExitAsync();
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (daemon.HasExited)
            {
                var code = daemon.ExitCode == 0 ? 1 : daemon.ExitCode;
                var output = ReadFrom(service.ConsoleFile, consoleOffset);
                await Console.Error.WriteLineAsync(output.Length > 0
                    ? output
                    : $"Cannot start: the host exited with code {daemon.ExitCode} before it was ready; see {service.LogFile}").ConfigureAwait(false);
                return code;
            }

            // Our own daemon's pid, not just any answer: another instance may own the socket path.
            var status = await ControlChannel.QueryAsync(service.ControlSocket, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            if (status is not null && status.Pid == daemon.Id)
            {
                Console.WriteLine($"started, pid {status.Pid}, listening on {ServiceCommand.FormatEndPoint(status)}");
                return HostApp.ExitOk;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                await Console.Error.WriteLineAsync(
                    $"pid {daemon.Id} is not ready after {timeout.TotalSeconds:0.#} s and is left running; see {service.LogFile}, or run stop").ConfigureAwait(false);
                return 1;
            }

            await Task.WhenAny(exited, Task.Delay(s_poll)).ConfigureAwait(false);
        }
    }

    private static ProcessStartInfo StartInfo(HostArguments arguments, ServiceSettings service)
    {
        var processPath = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell which executable is running.");
        var info = new ProcessStartInfo(processPath)
        {
            UseShellExecute = false,

            // Like any daemon: hold no directory (and its mount) busy. Paths were made absolute for this.
            WorkingDirectory = "/",
        };

        if (HostProcessProbe.IsDotnetMuxer(processPath))
        {
            info.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        // Exactly here, right after "run": DaemonSession.DetachIfDaemon looks for it before any parsing.
        info.ArgumentList.Add("run");
        info.ArgumentList.Add(DaemonSession.OptionPrefix + service.ConsoleFile);

        // Resolved here, once, so the daemon uses exactly the paths this command will look at.
        var resolved = (arguments with { PidFile = service.PidFile })
            .With("Service:LogFile", service.LogFile)
            .With("Control:Socket", service.ControlSocket);
        foreach (var argument in resolved.ToCommandLine())
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    /// <summary>
    /// Marks every fd above 2 close-on-exec, so the daemon inherits only stdin, stdout and stderr (which it replaces at
    /// once). .NET opens its own fds close-on-exec already; this catches those our caller leaked to us, such as a
    /// pipe that a script or test runner reads until every writer has exited.
    /// </summary>
    private static void InheritOnlyStandardStreams()
    {
        foreach (var fd in OpenDescriptors.List())
        {
            if (fd > 2)
            {
                var flags = Libc.fcntl(fd, Libc.F_GETFD, 0);
                if (flags >= 0 && (flags & Libc.FD_CLOEXEC) == 0)
                {
                    Libc.fcntl(fd, Libc.F_SETFD, flags | Libc.FD_CLOEXEC);
                }
            }
        }
    }

    private static string ReadFrom(string path, long offset)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(Math.Min(offset, stream.Length), SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Trim();
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }
}
