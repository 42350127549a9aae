namespace PluggableNet.Tests.Service;

/// <summary>A fact that runs only on Linux (pidfiles, flock, signals, /proc) and is skipped with the reason elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "The service lifecycle (pidfile flock, signals, /proc) is Linux only.";
        }
    }
}
