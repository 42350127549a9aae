using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.HotSwap;

/// <summary>A temporary plugins root holding the <c>HotSwap</c> plugin folder; deleted on dispose.</summary>
internal sealed class HotSwapPluginFolder : IDisposable
{
    public HotSwapPluginFolder(byte[] initial)
    {
        PluginsPath = TestPaths.NewTempDirectory("pnet-hotswap");
        Folder = Directory.CreateDirectory(Path.Combine(PluginsPath, HotSwapPlugins.Name)).FullName;
        WriteInPlace(initial);
    }

    public string PluginsPath { get; }

    public string Folder { get; }

    public string DllPath => Path.Combine(Folder, HotSwapPlugins.Name + ".dll");

    /// <summary>Overwrites the DLL in place, as a copy or a build does (<c>Changed</c> events).</summary>
    public void WriteInPlace(byte[] dll) => File.WriteAllBytes(DllPath, dll);

    /// <summary>Writes beside the folder, then renames over the DLL in one step, as an atomic <c>mv</c> deploy does.</summary>
    public void Deploy(byte[] dll)
    {
        var staging = Path.Combine(PluginsPath, $".staging-{Guid.NewGuid():N}.dll");
        File.WriteAllBytes(staging, dll);
        File.Move(staging, DllPath, overwrite: true);
    }

    /// <summary>
    /// The deploy contract of PluggableNet.Abstractions' build logic: the whole plugin copied into a dot-prefixed
    /// staging folder, the live folder renamed to a dot-prefixed retired name, the staged one renamed into place, the
    /// retired one deleted. <paramref name="betweenRenames"/> runs while the live folder is absent.
    /// </summary>
    public async Task DeployFolderAsync(byte[] dll, Func<Task>? betweenRenames = null)
    {
        var unique = Guid.NewGuid().ToString("N");
        var staging = Path.Combine(PluginsPath, $".{HotSwapPlugins.Name}.deploying-{unique}");
        var retired = Path.Combine(PluginsPath, $".{HotSwapPlugins.Name}.retired-{unique}");
        Directory.CreateDirectory(staging);
        foreach (var file in Directory.GetFiles(Folder))
        {
            File.Copy(file, Path.Combine(staging, Path.GetFileName(file)));
        }

        File.WriteAllBytes(Path.Combine(staging, HotSwapPlugins.Name + ".dll"), dll);
        Directory.Move(Folder, retired);
        if (betweenRenames is not null)
        {
            await betweenRenames();
        }

        Directory.Move(staging, Folder);
        Directory.Delete(retired, recursive: true);
    }

    /// <summary>Settings that point a test server at this plugins root and plugin.</summary>
    public (string Key, string Value)[] Settings(params (string Key, string Value)[] more) =>
    [
        ("Logic:PluginsPath", PluginsPath),
        ("Logic:Plugin", HotSwapPlugins.Name),
        .. more,
    ];

    public void Dispose()
    {
        try
        {
            Directory.Delete(PluginsPath, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }
}
