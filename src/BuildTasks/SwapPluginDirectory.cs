using System.Runtime.InteropServices;
using Microsoft.Build.Framework;

namespace PluggableNet.Build;

/// <summary>
/// Puts a completely written staging directory in place of a plugin's folder in one step, so a running host sees
/// either the old version or the new one, never a mix.
/// </summary>
/// <remarks>
/// On Linux the two directories are exchanged with <c>renameat2(RENAME_EXCHANGE)</c>: the plugin's folder never
/// disappears. Elsewhere (or on a file system without it) the old folder is renamed aside, then the staging one into
/// place: two renames, and the host sees the folder missing for an instant. Either way the old version ends under
/// <see cref="Retired"/> (dot-prefixed, which the host ignores) and is deleted.
/// </remarks>
public sealed class SwapPluginDirectory : ITask
{
    private const int AtCurrentDirectory = -100;
    private const uint RenameExchange = 2;

    /// <summary>The complete new version, a dot-prefixed sibling of <see cref="Destination"/>.</summary>
    [Required]
    public string Staging { get; set; } = string.Empty;

    /// <summary>The plugin's folder the host loads: <c>&lt;plugins&gt;/&lt;PluginName&gt;</c>.</summary>
    [Required]
    public string Destination { get; set; } = string.Empty;

    /// <summary>Where the old version goes before it is deleted, a dot-prefixed sibling of <see cref="Destination"/>.</summary>
    [Required]
    public string Retired { get; set; } = string.Empty;

    /// <summary>True when the swap was one atomic exchange.</summary>
    [Output]
    public bool Exchanged { get; private set; }

    public IBuildEngine? BuildEngine { get; set; }

    public ITaskHost? HostObject { get; set; }

    public bool Execute()
    {
        try
        {
            if (!Directory.Exists(Destination))
            {
                Directory.Move(Staging, Destination);
            }
            else if (TryExchange(Staging, Destination))
            {
                Exchanged = true;
                Directory.Move(Staging, Retired);
            }
            else
            {
                Directory.Move(Destination, Retired);
                Directory.Move(Staging, Destination);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Log(new BuildErrorEventArgs(null, "PNET010", null, 0, 0, 0, 0, $"PluggableNet: could not switch {Destination} to the new build in {Staging}: {exception.Message}", null, nameof(SwapPluginDirectory)));
            return false;
        }

        try
        {
            if (Directory.Exists(Retired))
            {
                Directory.Delete(Retired, recursive: true);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The new version is in place; a leftover dot-prefixed folder is only clutter the host ignores.
            Log(new BuildWarningEventArgs(null, "PNET011", null, 0, 0, 0, 0, $"PluggableNet: could not delete the previous build {Retired}: {exception.Message}", null, nameof(SwapPluginDirectory)));
        }

        return true;
    }

    private static bool TryExchange(string from, string to)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            return false;
        }

        try
        {
            return renameat2(AtCurrentDirectory, from, AtCurrentDirectory, to, RenameExchange) == 0;
        }
        catch (Exception exception) when (exception is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    private void Log(BuildErrorEventArgs error) => BuildEngine?.LogErrorEvent(error);

    private void Log(BuildWarningEventArgs warning) => BuildEngine?.LogWarningEvent(warning);

    [DllImport("libc", SetLastError = true)]
    private static extern int renameat2(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);
}
