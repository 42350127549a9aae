namespace PluggableNet.Host.Service;

/// <summary>
/// Keeps the daemon's console capture (<c>pluggablenet.out</c>) bounded. Only what bypasses Serilog lands there
/// (a runtime crash, a native library's message), so it grows slowly but is appended to by every start; rotating
/// it at start, above a size, bounds it to about twice the limit without a rotation daemon.
/// </summary>
internal static class ConsoleFileRotation
{
    /// <summary>
    /// Moves <paramref name="path"/> to <c>path.1</c> (replacing an older one) when it is larger than
    /// <paramref name="limit"/> bytes. A host still writing to it keeps writing to the moved file.
    /// </summary>
    /// <returns>True when the file was rotated.</returns>
    public static bool RotateIfOver(string path, long limit)
    {
        var file = new FileInfo(path);
        if (!file.Exists || file.Length <= limit)
        {
            return false;
        }

        File.Move(path, path + ".1", overwrite: true);
        return true;
    }
}
