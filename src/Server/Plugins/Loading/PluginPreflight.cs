using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace PluggableNet.Server.Plugins;

/// <summary>
/// Checks a plugin's files before anything is loaded, for the mistakes that otherwise surface as a confusing error
/// much later: an assembly built for another .NET, and a plugin that ships (or needs a newer) copy of an assembly
/// the host shares with it, which splits a type such as <c>ILogger&lt;T&gt;</c> in two.
/// </summary>
/// <remarks>
/// A shipped copy of a shared assembly is refused rather than silently replaced by the host's: the plugin was
/// compiled against that version, and loading another one under it would fail later, on a request, if it used
/// anything the host's copy lacks. The fix is at build time, and the message says it.
/// </remarks>
internal static class PluginPreflight
{
    private static readonly int s_runtimeMajor = Environment.Version.Major;

    /// <summary>Throws <see cref="PluginLoadException"/> naming the cause and the fix, or returns.</summary>
    /// <param name="path">The plugin's main assembly.</param>
    /// <param name="shared">The assemblies shared with the host, by simple name, with the version the host has.</param>
    public static void Check(string path, IReadOnlyDictionary<string, Version> shared)
    {
        var main = Path.GetFileName(path);
        var (framework, references) = ReadMetadata(path);
        if (framework is not null && ParseNetCoreVersion(framework) is { } targeted && targeted.Major != s_runtimeMajor)
        {
            var newer = targeted.Major > s_runtimeMajor;
            throw new PluginLoadException(
                $"{main} targets .NET {targeted.Major}.{targeted.Minor} ({framework}), but this host runs .NET {Environment.Version}: " +
                (newer ? "it may use APIs this runtime lacks; " : "plugins are built for the host's runtime; ") +
                $"set <TargetFramework>net{s_runtimeMajor}.0</TargetFramework> and rebuild.");
        }

        foreach (var reference in references)
        {
            if (reference.Name == "System.Runtime" && reference.Version is { } runtime && runtime.Major > s_runtimeMajor)
            {
                throw new PluginLoadException(
                    $"{main} references System.Runtime {runtime}, from a newer .NET than this host's {Environment.Version}: set <TargetFramework>net{s_runtimeMajor}.0</TargetFramework> and rebuild.");
            }

            if (reference.Name is { } name && shared.TryGetValue(name, out var hostVersion) && reference.Version is { } wanted && wanted > hostVersion
                && name != typeof(ILogicPlugin).Assembly.GetName().Name)
            {
                throw new PluginLoadException(
                    $"{main} was built against {name} {wanted}, newer than the {hostVersion} this host shares with its plugins (one copy for host and plugin, so ILogger<T> and IConfiguration are the same types): " +
                    $"reference {name} {hostVersion.Major}.{hostVersion.Minor}.x, compile-time only (ExcludeAssets=runtime), and rebuild.");
            }
        }

        var folder = Path.GetDirectoryName(path)!;
        foreach (var (name, hostVersion) in shared)
        {
            var copy = Path.Combine(folder, name + ".dll");
            if (!File.Exists(copy))
            {
                continue;
            }

            Version? shipped;
            try
            {
                shipped = AssemblyName.GetAssemblyName(copy).Version;
            }
            catch (Exception exception) when (exception is BadImageFormatException or FileLoadException or IOException)
            {
                shipped = null;
            }

            if (shipped != hostVersion)
            {
                throw new PluginLoadException(
                    $"{main}'s folder ships its own {name}.dll ({shipped?.ToString() ?? "unreadable"}), but the host shares its {name} {hostVersion} with every plugin, and a second copy would split its types (ILogger<T>: 'Unable to resolve service'): " +
                    $"reference it compile-time only (ExcludeAssets=runtime, or PrivateAssets/Private=false), delete {name}.dll from the folder, and redeploy.");
            }
        }
    }

    /// <summary>"9.0" from ".NETCoreApp,Version=v9.0"; null for .NET Standard or anything else.</summary>
    internal static Version? ParseNetCoreVersion(string framework)
    {
        const string Prefix = ".NETCoreApp,Version=v";
        return framework.StartsWith(Prefix, StringComparison.Ordinal) && Version.TryParse(framework[Prefix.Length..], out var version) ? version : null;
    }

    private static (string? Framework, List<AssemblyName> References) ReadMetadata(string path)
    {
        var references = new List<AssemblyName>();
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata)
            {
                return (null, references);
            }

            var reader = pe.GetMetadataReader();
            foreach (var handle in reader.AssemblyReferences)
            {
                references.Add(reader.GetAssemblyReference(handle).GetAssemblyName());
            }

            return (ReadTargetFramework(reader), references);
        }
        catch (Exception exception) when (exception is BadImageFormatException or IOException or InvalidOperationException)
        {
            // Not an assembly (or a damaged one): the load that follows says so with the loader's own words.
            return (null, references);
        }
    }

    private static string? ReadTargetFramework(MetadataReader reader)
    {
        foreach (var handle in reader.GetAssemblyDefinition().GetCustomAttributes())
        {
            var attribute = reader.GetCustomAttribute(handle);
            if (attribute.Constructor.Kind != HandleKind.MemberReference)
            {
                continue;
            }

            var constructor = reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor);
            if (constructor.Parent.Kind != HandleKind.TypeReference)
            {
                continue;
            }

            var type = reader.GetTypeReference((TypeReferenceHandle)constructor.Parent);
            if (reader.GetString(type.Name) != "TargetFrameworkAttribute")
            {
                continue;
            }

            // Blob: prolog 0x0001, then the constructor's string argument (compressed length + UTF-8).
            var blob = reader.GetBlobReader(attribute.Value);
            if (blob.ReadUInt16() == 1)
            {
                return blob.ReadSerializedString();
            }
        }

        return null;
    }
}
