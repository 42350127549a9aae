using System.Globalization;
using System.Security.Cryptography;

namespace PluggableNet.Server.Plugins;

/// <summary>
/// Which build of a plugin assembly a message is about: its file time and the start of its SHA-256. Developers
/// rebuild without bumping the version, so "Shout 1.0.0" alone does not tell one rebuild from the next.
/// </summary>
internal static class BuildStamp
{
    /// <summary>"built 2026-12-01 12:00:01Z, sha256 1a2b3c4d", or what could be read of it.</summary>
    public static string Of(string path)
    {
        try
        {
            var written = File.GetLastWriteTimeUtc(path).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var hash = Convert.ToHexStringLower(SHA256.HashData(stream))[..8];
            return $"built {written}, sha256 {hash}";
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return "build unreadable";
        }
    }
}
