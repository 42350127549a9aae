using System.Reflection;

namespace PluggableNet.Server.Plugins;

/// <summary>
/// Turns the loader's "Could not load file or assembly 'Serilog, Version=4.4.0.0'" into its usual cause and fix: a
/// plugin built without <c>EnableDynamicLoading</c> (so its NuGet dependencies were not copied and it has no
/// <c>.deps.json</c>), or a folder deployed without its dependency DLLs.
/// </summary>
internal static class PluginLoadDiagnosis
{
    /// <summary>The explanation when <paramref name="exception"/> (or one inside it) is a missing assembly; else null.</summary>
    public static string? ExplainMissingDependency(Exception exception, string path)
    {
        if (FindMissingAssembly(exception) is not { } missing)
        {
            return null;
        }

        var folder = Path.GetDirectoryName(path)!;
        var main = Path.GetFileName(path);
        var deps = Path.ChangeExtension(path, ".deps.json");
        AssemblyName name;
        try
        {
            name = new AssemblyName(missing);
        }
        catch (Exception nameException) when (nameException is FileLoadException or ArgumentException)
        {
            return null;
        }

        var file = name.Name + ".dll";
        var present = File.Exists(Path.Combine(folder, file));
        var cause = File.Exists(deps)
            ? present
                ? $"{file} is in the folder but is not the version asked for"
                : $"{file} is not in the folder (deploy the whole build output, dependencies included)"
            : $"{file} is not in the folder and there is no {Path.GetFileName(deps)}: the plugin was probably built without <EnableDynamicLoading>true</EnableDynamicLoading>, which copies its NuGet dependencies into the output and writes the .deps.json the host resolves them with";
        return $"{main} needs {name.Name} {name.Version?.ToString() ?? string.Empty}".TrimEnd() + $", which cannot be loaded: {cause}. Fix: set <EnableDynamicLoading>true</EnableDynamicLoading> in the plugin's project, rebuild, and deploy the whole output folder.";
    }

    private static string? FindMissingAssembly(Exception? exception)
    {
        for (var depth = 0; exception is not null && depth < 16; depth++)
        {
            switch (exception)
            {
                case FileNotFoundException { FileName: { Length: > 0 } name }:
                    return name;
                case FileLoadException { FileName: { Length: > 0 } name }:
                    return name;
                case ReflectionTypeLoadException typeLoad:
                    foreach (var inner in typeLoad.LoaderExceptions)
                    {
                        if (FindMissingAssembly(inner) is { } found)
                        {
                            return found;
                        }
                    }

                    break;
            }

            exception = exception.InnerException;
        }

        return null;
    }
}
