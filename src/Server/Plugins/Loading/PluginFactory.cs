using System.Reflection;
using System.Runtime.CompilerServices;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Plugins.Isolation;
using PluggableNet.Server.Sessions;

namespace PluggableNet.Server.Plugins;

/// <summary>
/// Loads one version of a plugin into a fresh collectible load context and builds it through DI.
/// </summary>
/// <remarks>
/// Every version gets its own <see cref="PluginLoader"/> (unloadable, loaded from memory so the files stay free
/// to be rebuilt) and its own service provider, disposed with it. Only the contract and the abstractions a
/// plugin's constructor may take are shared with the host, so type identity holds for exactly those.
/// A plugin's configuration is a snapshot of <c>Plugins:&lt;Name&gt;</c> taken when it is loaded: a changed section
/// is applied by loading a new generation, and no change token of the host's configuration ever points into a
/// plugin (which would keep its load context alive).
/// </remarks>
internal sealed partial class PluginFactory(string pluginsPath, IConfiguration configuration, ILoggerFactory loggerFactory, SessionRegistry? sessions = null)
{
    private static readonly Type[] s_sharedTypes =
    [
        typeof(ILogicPlugin),
        typeof(ILogger),
        typeof(ILoggerFactory),
        typeof(IConfiguration),
        typeof(IServiceProvider),
        typeof(ActivatorUtilitiesConstructorAttribute),
    ];

    /// <summary>The shared assemblies by simple name, with the version this host has: a plugin must not bring its own.</summary>
    private static readonly Dictionary<string, Version> s_sharedAssemblies = s_sharedTypes
        .Select(t => t.Assembly.GetName())
        .DistinctBy(n => n.Name)
        .ToDictionary(n => n.Name!, n => n.Version!, StringComparer.OrdinalIgnoreCase);

    private static readonly Version s_contractVersion = typeof(ILogicPlugin).Assembly.GetName().Version!;
    private readonly SessionRegistry _sessions = sessions ?? new SessionRegistry(loggerFactory.CreateLogger("PluggableNet.Sessions"));
    private int _generations;

    /// <summary>The host's sessions, which every generation this factory loads sees.</summary>
    public SessionRegistry Sessions => _sessions;

    /// <summary>What a plugin's constructor gets as its <see cref="ISessionRegistry"/> instead of the host's: the test kit's fake. Null: the host's.</summary>
    internal ISessionRegistry? PluginRegistry { get; init; }

    public string PluginsPath { get; } = Path.GetFullPath(pluginsPath);

    /// <summary><c>Limits:ProcessTimeout</c> in milliseconds (0 = off): a worker whose call runs longer is killed as a crash.</summary>
    internal long ProcessTimeoutMs { get; init; }

    /// <summary>Epoll reactors of the server (0 on the Sockets transport): each gets its own channel to an isolated plugin's worker.</summary>
    internal int ReactorChannels { get; init; }

    /// <summary>The batching and crash counters of each plugin this factory loaded isolated, kept across its generations.</summary>
    internal IsolationCounterSets IsolationCounters { get; } = new();

    /// <summary>True in a worker process: load in this process, whatever <c>Isolation</c> says.</summary>
    internal bool InWorker { get; init; }

    /// <summary>The plugin folders present now.</summary>
    /// <remarks>Dot-prefixed folders are never plugins: a deploy stages and retires versions under such names
    /// (<c>.Name.deploying-…</c>, <c>.Name.retired-…</c>) next to the live folder.</remarks>
    public IReadOnlyList<string> Available() => Directory.Exists(PluginsPath)
        ? Directory.GetDirectories(PluginsPath).Select(Path.GetFileName).OfType<string>().Where(n => !n.StartsWith('.')).Order(StringComparer.OrdinalIgnoreCase).ToList()
        : [];

    /// <summary>Whether a deploy of <paramref name="name"/> is between its two renames (the folder is briefly absent).</summary>
    public bool IsBeingReplaced(string name)
    {
        try
        {
            return Directory.Exists(PluginsPath) && Directory.EnumerateDirectories(PluginsPath, $".{name}.*").Any(d =>
            {
                var entry = Path.GetFileName(d);
                return entry.StartsWith($".{name}.deploying-", StringComparison.OrdinalIgnoreCase) || entry.StartsWith($".{name}.retired-", StringComparison.OrdinalIgnoreCase);
            });
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The folder of plugin <paramref name="name"/> (matched case-insensitively), or null.</summary>
    public string? FindFolder(string name)
    {
        // A name, never a path (ServerSettings refuses such values too): nothing outside PluginsPath is loaded.
        if (name is "" || name.StartsWith('.') || name.IndexOfAny(['/', '\\']) >= 0 || Path.IsPathRooted(name))
        {
            return null;
        }

        var exact = Path.Combine(PluginsPath, name);
        if (Directory.Exists(exact))
        {
            return exact;
        }

        var match = Available().FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
        return match is null ? null : Path.Combine(PluginsPath, match);
    }

    /// <summary>The assembly that holds the plugin: <c>Name.dll</c>, <c>PluggableNet.Plugins.Name.dll</c>, the one with a deps file, or the only DLL.</summary>
    public static string? FindMainAssembly(string folder)
    {
        var name = Path.GetFileName(folder);
        foreach (var candidate in new[] { $"{name}.dll", $"PluggableNet.Plugins.{name}.dll" })
        {
            var path = Path.Combine(folder, candidate);
            if (File.Exists(path))
            {
                return path;
            }
        }

        var dlls = Directory.GetFiles(folder, "*.dll");
        var withDeps = dlls.Where(d => File.Exists(Path.ChangeExtension(d, ".deps.json"))).ToArray();
        return withDeps.Length == 1 ? withDeps[0] : dlls.Length == 1 ? dlls[0] : null;
    }

    /// <summary>Loads plugin <paramref name="name"/> as a new generation. Throws <see cref="PluginLoadException"/> with the reason.</summary>
    /// <remarks>A failure names the build that failed (file time and hash), since rebuilds rarely change the version.</remarks>
    public PluginGeneration Load(string name)
    {
        var folder = FindFolder(name) ?? throw new PluginLoadException(
            $"Logic:Plugin '{name}' was not found in {PluginsPath}. Available plugins: {Describe(Available())}.");
        var path = FindMainAssembly(folder) ?? throw new PluginLoadException(DescribeMissingAssembly(folder));
        var build = BuildStamp.Of(path);
        var isolation = InWorker ? new IsolationSettings() : IsolationSettings.Read(configuration, Path.GetFileName(folder));

        // Before the load: files written during it differ from this, so the folder watch loads them next.
        var files = FolderSnapshot.Take(folder);
        try
        {
            var generation = isolation.Isolation == PluginIsolation.Process ? LoadIsolated(folder, path, isolation) : Load(folder, path, build);
            generation.LoadedFiles = files;
            return generation;
        }
        catch (PluginLoadException exception)
        {
            throw new PluginLoadException($"{exception.Message} ({Path.GetFileName(path)} {build})", exception.InnerException);
        }
    }

    private PluginGeneration Load(string folder, string path, string build)
    {
        PluginPreflight.Check(path, s_sharedAssemblies);
        var loader = PluginLoader.CreateFromAssemblyFile(path, isUnloadable: true, sharedTypes: s_sharedTypes, configure: config =>
        {
            config.LoadInMemory = true;
        });

        ServiceProvider? services = null;
        try
        {
            Assembly assembly;
            try
            {
                assembly = loader.LoadDefaultAssembly();
            }
            catch (Exception exception) when (exception is BadImageFormatException or FileLoadException or FileNotFoundException or IOException)
            {
                throw new PluginLoadException($"{path} is not a loadable .NET assembly: {exception.Message}", exception);
            }

            CheckContract(assembly, path);
            var type = FindPluginType(assembly, path);

            Warm(type, path);
            var (settings, signature) = SnapshotSettings(Path.GetFileName(folder));

            var collection = new ServiceCollection();
            collection.AddSingleton(loggerFactory);
            collection.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
            collection.AddSingleton<IConfiguration>(settings);
            var scope = new SessionScope(_sessions);
            collection.AddSingleton<ISessionRegistry>(PluginRegistry ?? scope.Registry);
            services = collection.BuildServiceProvider();

            ILogicPlugin plugin;
            try
            {
                plugin = (ILogicPlugin)ActivatorUtilities.CreateInstance(services, type);
            }
            catch (Exception exception)
            {
                throw new PluginLoadException(
                    PluginLoadDiagnosis.ExplainMissingDependency(exception, path)
                        ?? $"Creating {type.FullName} from {path} failed: {exception.GetBaseException().Message}",
                    exception);
            }

            var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                ?? assembly.GetName().Version?.ToString()
                ?? "0.0.0";
            var plusAt = version.IndexOf('+', StringComparison.Ordinal);
            if (plusAt > 0)
            {
                version = version[..plusAt];
            }

            scope.Attach(plugin);
            if (scope.Options is { Pushes: true, V1StreamMode: false })
            {
                throw new PluginLoadException(
                    $"{type.FullName} pushes (SessionOptions.Pushes) but declares no v1 stream mode: a v1 client pairs every frame it receives with a request, so it cannot take pushes. Set SessionOptions.V1StreamMode (docs/sessions.md).");
            }

            return new PluginGeneration(Path.GetFileName(folder), version, Interlocked.Increment(ref _generations), plugin, services, loader, path, scope)
            {
                SettingsSignature = signature,
                Build = build,
            };
        }
        catch
        {
            services?.Dispose();
            loader.Dispose();
            throw;
        }
    }

    /// <summary>Why a folder has no plugin assembly, with what it does hold: usually a build that failed or went elsewhere.</summary>
    private static string DescribeMissingAssembly(string folder)
    {
        var name = Path.GetFileName(folder);
        var dlls = Directory.GetFiles(folder, "*.dll").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var holds = dlls.Count == 0
            ? "it holds no DLL at all (did the build fail, or write its output elsewhere?)"
            : $"it holds {string.Join(", ", dlls)}, none named so and not exactly one with a .deps.json";
        return $"Plugin folder {folder} has no plugin assembly: expected {name}.dll, PluggableNet.Plugins.{name}.dll, or a single DLL; {holds}.";
    }

    /// <summary>
    /// The plugin's section as it is now, detached from the host's configuration, and a signature to tell
    /// later whether the section has changed since.
    /// </summary>
    internal (IConfiguration Settings, string Signature) SnapshotSettings(string pluginName)
    {
        var values = configuration.GetSection($"Plugins:{pluginName}")
            .AsEnumerable(makePathsRelative: true)
            .Where(pair => pair.Value is not null)
            .OrderBy(pair => pair.Key, StringComparer.OrdinalIgnoreCase)
            .ToList();
        var settings = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return (settings, string.Join('\n', values.Select(pair => $"{pair.Key}={pair.Value}")));
    }

    /// <summary>The signature <see cref="SnapshotSettings"/> would give for <paramref name="pluginName"/> now.</summary>
    internal string SettingsSignature(string pluginName) => SnapshotSettings(pluginName).Signature;

    /// <summary>
    /// JIT-compiles the contract methods before the plugin is published, so the first request after a swap does
    /// not pay for it on a reactor thread, and an assembly whose code is damaged fails here instead of on a request.
    /// </summary>
    private static void Warm(Type type, string path)
    {
        var contracts = typeof(ISessionPlugin).IsAssignableFrom(type) ? new[] { typeof(ILogicPlugin), typeof(ISessionPlugin) } : [typeof(ILogicPlugin)];
        foreach (var method in contracts.SelectMany(c => type.GetInterfaceMap(c).TargetMethods))
        {
            if (method.IsAbstract || method.ContainsGenericParameters)
            {
                continue;
            }

            try
            {
                RuntimeHelpers.PrepareMethod(method.MethodHandle);
            }
            catch (Exception exception) when (exception is InvalidProgramException or BadImageFormatException or TypeLoadException or FileNotFoundException or FileLoadException or MissingMethodException)
            {
                throw new PluginLoadException(
                    PluginLoadDiagnosis.ExplainMissingDependency(exception, path) ?? $"{path}: {type.FullName}.{method.Name} cannot be compiled: {exception.Message}",
                    exception);
            }
        }
    }

    private static void CheckContract(Assembly assembly, string path)
    {
        var contract = assembly.GetReferencedAssemblies().FirstOrDefault(a => a.Name == typeof(ILogicPlugin).Assembly.GetName().Name);
        if (contract is null)
        {
            throw new PluginLoadException($"{path} does not reference PluggableNet.Abstractions, so it contains no ILogicPlugin.");
        }

        if (contract.Version is { } version && version.Major != s_contractVersion.Major)
        {
            throw new PluginLoadException(
                $"{path} was built against PluggableNet.Abstractions {version}, but this host provides contract {s_contractVersion}; rebuild the plugin against {s_contractVersion.Major}.x.");
        }
    }

    private static Type FindPluginType(Assembly assembly, string path)
    {
        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (Exception exception) when (exception is ReflectionTypeLoadException or TypeLoadException or FileNotFoundException)
        {
            throw new PluginLoadException(
                PluginLoadDiagnosis.ExplainMissingDependency(exception, path) ?? $"{path}: its types cannot be loaded: {exception.Message}",
                exception);
        }

        var candidates = types.Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ILogicPlugin).IsAssignableFrom(t)).ToArray();
        return candidates.Length switch
        {
            1 => candidates[0],
            0 => throw new PluginLoadException($"{path} contains no public class implementing ILogicPlugin."),
            _ => throw new PluginLoadException($"{path} contains several ILogicPlugin classes ({string.Join(", ", candidates.Select(c => c.FullName))}); a plugin assembly must contain exactly one."),
        };
    }

    /// <summary>The plugin folders present now, for messages: "Reverse, Upper" or "none".</summary>
    public string DescribeAvailable() => Describe(Available());

    private static string Describe(IReadOnlyList<string> names) => names.Count == 0 ? "none" : string.Join(", ", names);
}
