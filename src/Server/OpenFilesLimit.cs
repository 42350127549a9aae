using PluggableNet.Server.Interop;

namespace PluggableNet.Server;

/// <summary>
/// The process's open-files limit (RLIMIT_NOFILE), raised from the soft to the hard limit at start as nginx and most
/// servers do. What it leaves for connections is judged at every accept (<c>Connections/DescriptorHeadroom.cs</c>).
/// </summary>
internal static class OpenFilesLimit
{
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
}
