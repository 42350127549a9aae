using System.Text;
using Serilog.Sinks.File;

namespace PluggableNet.Host.Service;

/// <summary>
/// Makes every log file the daemon opens readable by its owner only (0600): logs carry peers' addresses and
/// plugin errors. The directory is already private (0700), so the moment before the mode is set exposes nothing.
/// </summary>
internal sealed class PrivateLogFiles : FileLifecycleHooks
{
    public override Stream OnFileOpened(string path, Stream underlyingStream, Encoding encoding)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return base.OnFileOpened(path, underlyingStream, encoding);
    }
}
