using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>Starting a worker: the socket pair, the process, its memory limit, and the wait until its plugin is loaded.</summary>
internal sealed partial class WorkerProcess
{
    /// <summary>
    /// Starts a worker for <paramref name="launch"/>'s plugin and waits until it loaded it (warm: the contract's methods
    /// are compiled there as in-process). Throws <see cref="PluginLoadException"/> with the worker's reason.
    /// </summary>
    public static unsafe WorkerProcess Start(WorkerLaunch launch)
    {
        var fds = stackalloc int[2];
        if (Libc.socketpair(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0, fds) != 0)
        {
            throw new PluginLoadException($"socketpair for plugin {launch.Name}'s worker failed: {Libc.Describe(Libc.LastError)}");
        }

        var socket = new Socket(new SafeSocketHandle(fds[0], ownsHandle: true));
        var childFds = new List<int> { fds[1] };
        var channels = new List<Socket>();
        for (var i = 0; i < launch.Channels; i++)
        {
            if (Libc.socketpair(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0, fds) != 0)
            {
                // Not fatal: reactors without a channel use the main socket.
                break;
            }

            channels.Add(new Socket(new SafeSocketHandle(fds[0], ownsHandle: true)));
            childFds.Add(fds[1]);
        }

        var (fileName, dll) = WorkerSpawner.Command();
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--fd");
        info.ArgumentList.Add(childFds[0].ToString(CultureInfo.InvariantCulture));
        if (channels.Count > 0)
        {
            info.ArgumentList.Add("--channels");
            info.ArgumentList.Add(string.Join(',', childFds.Skip(1).Select(fd => fd.ToString(CultureInfo.InvariantCulture))));
        }

        info.ArgumentList.Add("--parent");
        info.ArgumentList.Add(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        if (launch.Isolation.MaxMemoryBytes > 0)
        {
            // The GC's own limit: an allocation past it throws OutOfMemoryException, which the worker treats as a crash.
            info.Environment["DOTNET_GCHeapHardLimit"] = "0x" + launch.Isolation.MaxMemoryBytes.ToString("x", CultureInfo.InvariantCulture);
        }

        var logger = launch.Logger;
        Process process;
        WorkerStderr stderr;
        try
        {
            process = new Process { StartInfo = info };
            stderr = new WorkerStderr(process, logger, launch.Name);
            process = WorkerSpawner.Start(process, [.. childFds]);
        }
        catch (Exception exception) when (exception is not PluginLoadException)
        {
            socket.Dispose();
            channels.ForEach(c => c.Dispose());
            throw new PluginLoadException($"Starting plugin {launch.Name}'s worker ({fileName} {dll}) failed: {exception.Message}", exception);
        }

        stderr.Pid = process.Id;
        process.BeginErrorReadLine();
        var worker = new WorkerProcess(process, socket, stderr, logger, launch.Counters);
        worker._channels = [.. channels.Select(c => new WorkerChannel(worker, c, launch.Counters))];
        try
        {
            worker.Handshake(launch);
        }
        catch
        {
            worker.Dispose();
            throw;
        }

        return worker;
    }

    private void Handshake(WorkerLaunch launch)
    {
        var init = new StringBuilder().Append(launch.PluginsPath).Append('\n').Append(launch.Name).Append('\n');
        foreach (var (key, value) in launch.Settings)
        {
            init.Append(key).Append('=').Append(value).Append('\n');
        }

        _sender.Append(WorkerFrames.Init, 0, Encoding.UTF8.GetBytes(init.ToString()));
        _sender.Flush();
        _socket.ReceiveTimeout = (int)launch.ReadyTimeout.TotalMilliseconds;
        if (!_reader.ReadBlocking(out var kind, out _, out var payload))
        {
            _process.WaitForExit(2000);
            _stderr.WaitForEnd(TimeSpan.FromMilliseconds(500));
            throw new PluginLoadException($"Plugin {launch.Name}'s worker process {Pid} ended before it loaded the plugin: it {Describe()}");
        }

        _socket.ReceiveTimeout = 0;
        var text = Encoding.UTF8.GetString(payload);
        if (kind != WorkerFrames.Ready)
        {
            throw new PluginLoadException(text);
        }

        Ready = text.Split('\n');
        ApplyAddressSpaceLimit(launch);
        _readerThread = new Thread(ReadAnswers) { IsBackground = true, Name = $"PluggableNet worker {Pid} reader" };
        _readerThread.Start();
    }

    /// <summary>
    /// Native memory: <c>RLIMIT_AS</c> on the running worker, its address space now plus the limit (the GC's heap,
    /// reserved at start, is bounded by <c>DOTNET_GCHeapHardLimit</c> instead: address space it already holds is not
    /// counted again when committed).
    /// </summary>
    private void ApplyAddressSpaceLimit(WorkerLaunch launch)
    {
        if (launch.Isolation.MaxMemoryBytes <= 0)
        {
            return;
        }

        var now = AddressSpace(Pid);
        var limit = new Libc.Rlimit { Current = (ulong)(now + launch.Isolation.MaxMemoryBytes), Maximum = (ulong)(now + launch.Isolation.MaxMemoryBytes) };
        if (now <= 0 || Libc.prlimit(Pid, Libc.RLIMIT_AS, limit, out _) != 0)
        {
            _logger.LogWarning("Plugin {Plugin} worker {Pid}: RLIMIT_AS could not be set ({Reason}); only the GC heap limit applies", launch.Name, Pid, Libc.Describe(Libc.LastError));
        }
    }

    private static long AddressSpace(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmSize:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(7).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }
}
