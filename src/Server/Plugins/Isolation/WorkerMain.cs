using System.Globalization;
using System.Net.Sockets;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// The entry point of <c>PluggableNet.Worker</c>: <c>--fd N --parent PID [--channels N,N…]</c> (one channel per epoll reactor of the host). Asks the kernel to kill it when its
/// parent goes, checks the parent is still the host that started it, then serves the plugin over the inherited
/// socket until the host closes it.
/// </summary>
internal static class WorkerMain
{
    /// <summary>The worker ran out of its memory limit (<c>Plugins:&lt;Name&gt;:MaxMemoryBytes</c>).</summary>
    public const int OutOfMemoryExitCode = 3;

    /// <summary>The plugin did not load; the reason went to the host as a frame.</summary>
    public const int LoadFailedExitCode = 4;

    public static int Run(string[] args)
    {
        var fd = Argument(args, "--fd");
        var parent = Argument(args, "--parent");
        if (fd < 0 || parent <= 0)
        {
            Console.Error.WriteLine("PluggableNet.Worker is started by a PluggableNet host (Plugins:<Name>:Isolation Process), not by hand.");
            return 64;
        }

        // First thing: never outlive the host. The host forks from a thread that lives as long as it does (WorkerSpawner).
        _ = Libc.prctl(Libc.PR_SET_PDEATHSIG, Libc.SIGKILL, 0, 0, 0);
        if (Libc.getppid() != parent)
        {
            // The host died before the line above took effect.
            return 1;
        }

        var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        var at = Array.IndexOf(args, "--channels");
        var channels = at >= 0 && at + 1 < args.Length
            ? args[at + 1].Split(',').Select(c => new Socket(new SafeSocketHandle(int.Parse(c, CultureInfo.InvariantCulture), ownsHandle: true))).ToArray()
            : [];
        return new WorkerServer(socket, channels).Run();
    }

    private static int Argument(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : -1;
    }
}
