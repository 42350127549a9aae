using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// Starts worker processes from one thread that lives as long as the host. <c>PR_SET_PDEATHSIG</c> fires when the
/// thread that forked the child ends, not the process: forking from a thread-pool thread that later retires would
/// kill a healthy worker.
/// </summary>
internal static class WorkerSpawner
{
    private static readonly BlockingCollection<(Process Process, int[] ChildFds, TaskCompletionSource<Process> Done)> s_requests = [];
    private static readonly Lazy<Thread> s_thread = new(() =>
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = "PluggableNet worker spawner" };
        thread.Start();
        return thread;
    });

    /// <summary>The command that runs the worker: the muxer of this runtime and the worker's DLL next to this host's.</summary>
    public static (string FileName, string Dll) Command()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "PluggableNet.Worker.dll");
        if (!File.Exists(dll))
        {
            throw new PluginLoadException($"Isolation Process needs {dll} next to the host (the PluggableNet.Worker project's output); it is missing.");
        }

        // …/dotnet/shared/Microsoft.NETCore.App/<version>/ → …/dotnet/dotnet: the same runtime as the host's.
        var runtime = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd('/');
        var root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(runtime)));
        var muxer = root is null ? "dotnet" : Path.Combine(root, "dotnet");
        return (File.Exists(muxer) ? muxer : "dotnet", dll);
    }

    /// <summary>Starts <paramref name="process"/> with <paramref name="childFds"/> inherited (and only them: every other descriptor is close-on-exec), then closes them here.</summary>
    public static Process Start(Process process, int[] childFds)
    {
        _ = s_thread.Value;
        var done = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        s_requests.Add((process, childFds, done));
        return done.Task.GetAwaiter().GetResult();
    }

    private static void Loop()
    {
        foreach (var (process, childFds, done) in s_requests.GetConsumingEnumerable())
        {
            try
            {
                // Inheritable only for the moment of the fork.
                foreach (var childFd in childFds)
                {
                    _ = Libc.fcntl(childFd, Libc.F_SETFD, 0);
                }

                process.Start();
                done.SetResult(process);
            }
            catch (Exception exception)
            {
                done.SetException(exception);
            }
            finally
            {
                foreach (var childFd in childFds)
                {
                    _ = Libc.close(childFd);
                }
            }
        }
    }
}
