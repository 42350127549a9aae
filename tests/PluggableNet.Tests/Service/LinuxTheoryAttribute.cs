namespace PluggableNet.Tests.Service;

/// <summary>A theory that runs only on Linux, skipped with the reason elsewhere.</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "The service lifecycle (pidfile flock, signals, /proc) is Linux only.";
        }
    }
}
