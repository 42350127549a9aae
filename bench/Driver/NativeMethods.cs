using System.Runtime.InteropServices;

namespace PluggableNet.Bench.Driver;

/// <summary>The few libc calls the driver needs: file-descriptor limits, signals and the clock-tick rate.</summary>
internal static partial class NativeMethods
{
    /// <summary>RLIMIT_NOFILE on Linux (x64 and arm64).</summary>
    public const int RlimitNoFile = 7;

    /// <summary>_SC_CLK_TCK on Linux.</summary>
    public const int ScClkTck = 2;

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    public static partial int SetRLimit(int resource, in RLimit limit);

    /// <summary>SIGTERM on Linux.</summary>
    public const int SigTerm = 15;

    /// <summary>SIGUSR1 on Linux (x64 and arm64): tells the fan-out load generator its window's edge was sampled.</summary>
    public const int SigUsr1 = 10;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "sysconf", SetLastError = true)]
    public static partial long SysConf(int name);

    /// <summary>struct rlimit: soft (current) and hard (maximum) limits.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
