using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.PluginUnload;

/// <summary>A temporary plugins root holding the <c>Unload</c> plugin folder, with its own dependencies; deleted on dispose.</summary>
internal sealed class UnloadPluginFolder : IDisposable
{
    public UnloadPluginFolder(byte[] initial, params string[] dependencies)
        : this(UnloadPlugins.Name, initial, dependencies)
    {
    }

    public UnloadPluginFolder(string name, byte[] initial, params string[] dependencies)
    {
        Name = name;
        PluginsPath = TestPaths.NewTempDirectory("pnet-unload");
        Folder = Directory.CreateDirectory(Path.Combine(PluginsPath, name)).FullName;
        foreach (var dependency in dependencies)
        {
            File.Copy(dependency, Path.Combine(Folder, Path.GetFileName(dependency)));
        }

        Write(initial);
    }

    public string Name { get; }

    public string PluginsPath { get; }

    public string Folder { get; }

    /// <summary>Writes the plugin DLL over the current one, as a rebuild does.</summary>
    public void Write(byte[] dll) => File.WriteAllBytes(Path.Combine(Folder, Name + ".dll"), dll);

    public (string Key, string Value)[] Settings() =>
    [
        ("Logic:PluginsPath", PluginsPath),
        ("Logic:Plugin", Name),
    ];

    public void Dispose()
    {
        try
        {
            Directory.Delete(PluginsPath, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
