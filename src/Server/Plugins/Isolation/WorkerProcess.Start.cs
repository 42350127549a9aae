using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>Starting a worker: the socket pair, the process, its memory limit (WorkerProcess.Memory.cs), and the wait until its plugin is loaded.</summary>
internal sealed partial class WorkerProcess
{
    /// <summary>
    /// Starts a worker for <paramref name="launch"/>'s plugin and waits until it loaded it (warm: the contract's methods
    /// are compiled there as in-process). Throws <see cref="PluginLoadException"/> with the worker's reason.
    /// </summary>
    public static unsafe WorkerProcess Start(WorkerLaunch launch)
    {
        // First, as MemoryLimit Cgroup fails here when no cgroup can be made.
        var place = CgroupPlace(launch);
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
            info.Environment["DOTNET_GCHeapHardLimit"] = "0x" + GcHeapLimit(launch.Isolation.MaxMemoryBytes, place is not null).ToString("x", CultureInfo.InvariantCulture);
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
            worker.ConfineMemory(launch, place);
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
}
