using System.Buffers;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;

namespace PluggableNet.Testing;

/// <summary>
/// One plugin loaded from its build output exactly as the PluggableNet host loads it: the host's own loader, in a
/// fresh collectible load context, with the host's shared assemblies, its DI container and its configuration
/// section <c>Plugins:&lt;Name&gt;</c>.
/// </summary>
/// <example>
/// <code>
/// await using var plugin = PluginUnderTest.Load();
/// Assert.Equal("HELLO", await plugin.CallAsync("hello"));
/// await plugin.AssertUnloadsAsync();
/// </code>
/// </example>
public sealed partial class PluginUnderTest : IAsyncDisposable
{
    /// <summary>The <see cref="AssemblyMetadataAttribute"/> key under which a test project records its plugins (<c>Name|path</c>).</summary>
    public const string PluginMetadataKey = "PluggableNet.Testing.Plugin";

    private readonly string _pluginsFolder;
    private readonly LogCollector _logs;
    private readonly ILoggerFactory _loggerFactory;
    private readonly string[] _references;
    private PluginGeneration? _generation;

    private PluginUnderTest(string pluginsFolder, PluginGeneration generation, FakeSessionRegistry sessions, LogCollector logs, ILoggerFactory loggerFactory)
    {
        _pluginsFolder = pluginsFolder;
        _generation = generation;
        _logs = logs;
        _loggerFactory = loggerFactory;
        Name = generation.Name;
        Version = generation.Version;
        Execution = generation.Execution;
        LoadContext = generation.LoadContext;
        Sessions = sessions;
        IsSessionPlugin = generation.SessionPlugin is not null;
        if (IsSessionPlugin)
        {
            // As the host reads them: once, at load.
            sessions.Options = generation.Sessions.Options;
        }

        _references = ReferencedAssemblies(generation);
    }

    /// <summary>The plugin's name (its folder name in the host's plugins folder).</summary>
    public string Name { get; }

    /// <summary>The plugin assembly's informational version, as the host reports it.</summary>
    public string Version { get; }

    /// <summary>How the host calls it: inline on a reactor thread, or offloaded to the thread pool.</summary>
    public PluginExecution Execution { get; }

    /// <summary>A weak handle on the plugin's collectible load context: alive until the plugin is unloaded and collected.</summary>
    public WeakReference LoadContext { get; }

    /// <summary>Everything the plugin logged so far, one line each: <c>Level Category: message</c>.</summary>
    public IReadOnlyList<string> Logs => _logs.Lines;

    /// <summary>
    /// Loads the plugin project this test project references (the kit records the build output of every referenced
    /// plugin project). <paramref name="name"/> picks one when there are several.
    /// </summary>
    /// <param name="name">The plugin's name (its <c>PluggableNetPluginName</c>, by default its assembly name); null for the only one.</param>
    /// <param name="settings">The plugin's configuration section, <c>Plugins:&lt;Name&gt;</c>, as key/value pairs (keys relative to the section).</param>
    public static PluginUnderTest Load(string? name = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var known = ReferencedPlugins();
        var matches = known.Where(p => name is null || string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => LoadFrom(matches[0].Path, matches[0].Name, settings),
            0 when known.Count == 0 => throw new InvalidOperationException(
                "No plugin project is referenced: add <ProjectReference Include=\"../MyPlugin/MyPlugin.csproj\" ReferenceOutputAssembly=\"false\" /> to the test project, or call PluginUnderTest.LoadFrom(path)."),
            0 => throw new InvalidOperationException($"No referenced plugin is named '{name}'; referenced: {string.Join(", ", known.Select(k => k.Name))}."),
            _ => throw new InvalidOperationException($"Several plugins are referenced ({string.Join(", ", matches.Select(k => k.Name))}): pass the name of the one to load."),
        };
    }

    /// <summary>
    /// Loads the plugin whose main assembly is <paramref name="assemblyPath"/> (or the plugin in folder
    /// <paramref name="assemblyPath"/>), with every file of its folder, as the host would from
    /// <c>&lt;plugins&gt;/&lt;name&gt;/</c>.
    /// </summary>
    public static PluginUnderTest LoadFrom(string assemblyPath, string? name = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var source = Directory.Exists(assemblyPath) ? Path.GetFullPath(assemblyPath) : Path.GetDirectoryName(Path.GetFullPath(assemblyPath))!;
        name ??= Directory.Exists(assemblyPath) ? Path.GetFileName(source) : Path.GetFileNameWithoutExtension(assemblyPath);
        if (!Directory.Exists(source))
        {
            throw new DirectoryNotFoundException($"The plugin's build output {source} does not exist: build the plugin project first.");
        }

        // The host loads <plugins>/<Name>/; a private copy of the output gives the same layout and leaves the build free.
        var pluginsFolder = Path.Combine(Path.GetTempPath(), "pluggablenet-testing-" + Guid.NewGuid().ToString("N"));
        CopyDirectory(source, Path.Combine(pluginsFolder, name));

        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection((settings ?? new Dictionary<string, string?>()).Select(s => KeyValuePair.Create($"Plugins:{name}:{s.Key}", s.Value)))
            .Build();
        var logs = new LogCollector();
        var loggerFactory = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        try
        {
            // The plugin's constructor gets the fake registry the test drives, as it would get the host's.
            var sessions = new FakeSessionRegistry();
            var generation = new PluginFactory(pluginsFolder, configuration, loggerFactory) { PluginRegistry = sessions }.Load(name);
            return new PluginUnderTest(pluginsFolder, generation, sessions, logs, loggerFactory);
        }
        catch
        {
            loggerFactory.Dispose();
            TryDelete(pluginsFolder);
            throw;
        }
    }

    /// <summary>Sends one request (UTF-8 encoded) and returns the answer decoded as UTF-8.</summary>
    public async Task<string> CallAsync(string request, CancellationToken cancellationToken = default) =>
        Encoding.UTF8.GetString(await CallAsync(Encoding.UTF8.GetBytes(request), cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Sends one request payload and returns the answer payload, calling <see cref="ILogicPlugin.Process"/> or
    /// <see cref="ILogicPlugin.ProcessAsync"/> as the host would for the plugin's <see cref="Execution"/>.
    /// </summary>
    public async Task<byte[]> CallAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken = default)
    {
        var generation = _generation ?? throw new ObjectDisposedException(nameof(PluginUnderTest), $"Plugin {Name} was disposed.");
        if (IsSessionPlugin)
        {
            throw new InvalidOperationException($"Plugin {Name} keeps sessions: open one with OpenSession() and call CallAsync(session, request).");
        }

        var answer = new ArrayBufferWriter<byte>();
        if (generation.Execution == PluginExecution.Offloaded)
        {
            await generation.Plugin.ProcessAsync(request, answer, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            generation.Plugin.Process(request.Span, answer);
        }

        return answer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Disposes the plugin as the host does after a swap and asserts that its load context is collected within a
    /// bounded number of full garbage collections. Throws <see cref="PluginUnloadException"/>, naming what usually
    /// keeps a context alive and, from a heap snapshot of the test process, the chain from a GC root to the plugin
    /// (<see cref="PluginUnloadException.RootPath"/>), when it is not.
    /// </summary>
    /// <param name="maxCollections">How many full collections to allow (10 by default; unloading takes two or three).</param>
    public async Task AssertUnloadsAsync(int maxCollections = 10)
    {
        var context = await RetireAsync().ConfigureAwait(false);
        for (var i = 0; i < maxCollections && context.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            // A thread the plugin stopped in Dispose may need a moment to run off its last frame.
            if (context.IsAlive)
            {
                await Task.Delay(20).ConfigureAwait(false);
            }
        }

        if (context.IsAlive)
        {
            // The host's own report (a snapshot of this process, read with ClrMD): the cause, not the likely ones.
            var rootPath = await RootPathReport.CreateAsync(context).ConfigureAwait(false);
            throw new PluginUnloadException(UnloadFailureMessage(maxCollections) + Environment.NewLine + rootPath, rootPath);
        }
    }

    /// <summary>Disposes the plugin and its container and unloads its context (without checking that it was collected).</summary>
    public async ValueTask DisposeAsync()
    {
        await RetireAsync().ConfigureAwait(false);
        _loggerFactory.Dispose();
        TryDelete(_pluginsFolder);
    }

    // Not inlined, so no reference to the generation survives in the caller's frame during the collections.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private async Task<WeakReference> RetireAsync()
    {
        var generation = Interlocked.Exchange(ref _generation, null);
        if (generation is null)
        {
            return new WeakReference(null);
        }

        // As a swap retires a generation: its pushes are refused, and the state it set goes with it.
        Sessions.Retire();
        Sessions.ForgetStates();
        var context = generation.LoadContext;
        await generation.DisposeAsync().ConfigureAwait(false);
        return context;
    }

    private string UnloadFailureMessage(int collections)
    {
        var message = new StringBuilder()
            .Append($"Plugin {Name} {Version} is still loaded after {collections} full garbage collections following its disposal: ")
            .AppendLine("something outside the plugin still references its code or objects, so the host would leak one copy of it per swap.")
            .AppendLine("What usually pins a plugin's load context:")
            .AppendLine("- a thread, timer or endless task the plugin started and did not stop (and wait for) in Dispose/DisposeAsync;")
            .AppendLine("- a static field of a type the plugin shares with the host (the .NET runtime, PluggableNet.Abstractions, Microsoft.Extensions.*) holding a plugin object or delegate: a static event subscription, AppDomain.SetData, a static cache or registry;")
            .AppendLine("- a serializer's type cache holding the plugin's types: System.Text.Json's reflection serializer (use a source-generated JsonSerializerContext), Newtonsoft.Json, TypeDescriptor;")
            .AppendLine("- a GCHandle, ThreadLocal/AsyncLocal value or ExecutionContext captured by something that outlives the plugin.");
        var serializers = _references.Where(r => r is "System.Text.Json" or "Newtonsoft.Json" or "System.ComponentModel.TypeConverter").ToList();
        if (serializers.Count > 0)
        {
            message.AppendLine($"This plugin references {string.Join(" and ", serializers)}: check its serializer use first.");
        }

        return message.ToString().TrimEnd();
    }

    private static string[] ReferencedAssemblies(PluginGeneration generation) =>
        generation.Plugin.GetType().Assembly.GetReferencedAssemblies().Select(a => a.Name ?? string.Empty).ToArray();

    private static List<(string Name, string Path)> ReferencedPlugins() =>
        AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => !a.IsDynamic)
            .SelectMany(a => a.GetCustomAttributes<AssemblyMetadataAttribute>())
            .Where(m => m.Key == PluginMetadataKey && m.Value is not null && m.Value.Contains('|', StringComparison.Ordinal))
            .Select(m => (Name: m.Value![..m.Value!.IndexOf('|', StringComparison.Ordinal)], Path: m.Value[(m.Value.IndexOf('|', StringComparison.Ordinal) + 1)..]))
            .Distinct()
            .ToList();

    private static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // Likewise.
        }
    }
}
