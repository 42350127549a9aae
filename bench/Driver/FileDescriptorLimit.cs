using System.Runtime.InteropServices;

namespace PluggableNet.Bench.Driver;

/// <summary>
/// Raises this process's soft RLIMIT_NOFILE to its hard limit. Children inherit the raised limit,
/// so both the idle connections here and the servers' accepted sockets fit.
/// </summary>
internal static class FileDescriptorLimit
{
    /// <summary>Raises the soft limit and returns the limit now in force (0 when unknown).</summary>
    public static ulong RaiseToHardLimit()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        if (NativeMethods.GetRLimit(NativeMethods.RlimitNoFile, out var limit) != 0)
        {
            return 0;
        }

        if (limit.Current < limit.Maximum)
        {
            var raised = limit with { Current = limit.Maximum };
            if (NativeMethods.SetRLimit(NativeMethods.RlimitNoFile, raised) == 0)
            {
                return raised.Current;
            }

            Console.Error.WriteLine($"warning: setrlimit(NOFILE) failed, errno {Marshal.GetLastPInvokeError()}");
        }

        return limit.Current;
    }
}
