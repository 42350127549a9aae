using PluggableNet.Server.Interop;

namespace PluggableNet.Server;

/// <summary>
/// The process's open-files limit (RLIMIT_NOFILE), raised from the soft to the hard limit at start as nginx and most
/// servers do, and the connection budget it leaves: every connection is a descriptor, and the runtime needs
/// descriptors of its own (a new thread-pool thread opens a pipe; if it cannot, .NET aborts the process with
/// "Out of memory."), so connections never take the last ones.
/// </summary>
internal static class OpenFilesLimit
{
    /// <summary>Descriptors always kept out of the connection budget, for the runtime, logs, plugins and the control socket.</summary>
    private const int MinimumReserve = 64;

    /// <summary>Linux only: the limit after raising the soft limit to the hard one, and the soft limit before.</summary>
    public static (ulong Soft, ulong Hard, ulong Before)? RaiseToHard()
    {
        if (!OperatingSystem.IsLinux() || Libc.getrlimit(Libc.RLIMIT_NOFILE, out var limit) != 0)
        {
            return null;
        }

        var before = limit.Current;
        if (limit.Current < limit.Maximum)
        {
            var raised = limit with { Current = limit.Maximum };
            if (Libc.setrlimit(Libc.RLIMIT_NOFILE, raised) == 0)
            {
                limit = raised;
            }
        }

        return (limit.Current, limit.Maximum, before);
    }

    /// <summary>
    /// How many connections the current limit leaves room for: the soft limit, minus the descriptors open now, minus a
    /// reserve (a sixteenth of the limit, at least 64). Null where the limit cannot be read, or nothing binds.
    /// </summary>
    public static ConnectionBudget? Budget()
    {
        if (!OperatingSystem.IsLinux() || Libc.getrlimit(Libc.RLIMIT_NOFILE, out var limit) != 0 || limit.Current >= int.MaxValue)
        {
            return null;
        }

        var soft = (int)limit.Current;
        var inUse = OpenDescriptors.List().Length;
        var reserve = Math.Max(MinimumReserve, soft / 16);
        return new ConnectionBudget(Math.Max(1, soft - inUse - reserve), soft, inUse, reserve);
    }
}

/// <summary>The connections an open-files limit leaves room for, and how that was worked out.</summary>
internal readonly record struct ConnectionBudget(int Connections, int Limit, int InUse, int Reserve);
