using System.Runtime.Loader;
using McMaster.NETCore.Plugins;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Sessions;

namespace PluggableNet.Server.Plugins;

/// <summary>
/// One loaded version of a plugin: its instance, the DI container that built it and the load context it
/// came from. Counts the calls running on it so it is disposed and unloaded only after the last one ends.
/// </summary>
internal sealed class PluginGeneration : IAsyncDisposable
{
    private const long AbandonedOne = 1L << 32;

    private IAsyncDisposable? _services;
    private PluginLoader? _loader;
    // Low 32 bits: calls in flight; high 32 bits: how many of them the host has abandoned. One word, so a swap
    // never reads one count updated and the other not.
    private long _calls;

    internal PluginGeneration(string name, string version, int number, ILogicPlugin plugin, IAsyncDisposable? services, PluginLoader? loader, string? path, SessionScope? sessions = null)
    {
        Name = name;
        Version = version;
        Number = number;
        Plugin = plugin;
        Execution = plugin.Execution;
        _services = services;
        _loader = loader;
        Path = path;
        Sessions = sessions ?? new SessionScope(new SessionRegistry(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));
        Sessions.Attach(plugin);
        Sessions.Describe = ToString();
        Sessions.Version = version;
        SessionPlugin = plugin as ISessionPlugin;
        var context = AssemblyLoadContext.GetLoadContext(plugin.GetType().Assembly);
        LoadContext = new WeakReference(context is { IsCollectible: true } ? context : null);
        if (context is { IsCollectible: true })
        {
            PluginBlame.Register(context, ToString());
        }
    }

    /// <summary>The plugin's name (its folder under <c>Logic:PluginsPath</c>).</summary>
    public string Name { get; }

    /// <summary>The plugin assembly's informational version.</summary>
    public string Version { get; }

    /// <summary>1 for the first plugin loaded by this host, then one more per swap.</summary>
    public int Number { get; }

    /// <summary>The main assembly it was loaded from, if any.</summary>
    public string? Path { get; }

    /// <summary>A weak handle on the collectible load context, to prove it was collected after unload.</summary>
    public WeakReference LoadContext { get; }

    /// <summary>Which build this is: "built 2026-12-01 12:00:01Z, sha256 1a2b3c4d" (rebuilds seldom change the version).</summary>
    public string Build { get; init; } = string.Empty;

    /// <summary>Libraries this generation used that keep per-type caches, known to pin a plugin: named when it does not unload.</summary>
    internal IReadOnlyList<string> CachingLibraries { get; private set; } = [];

    /// <summary>
    /// The plugin folder's files as they were just before this generation was loaded from them, null without a folder:
    /// a change made after that (while the host was still starting, before its folder watch began) is still seen.
    /// </summary>
    internal FolderSnapshot? LoadedFiles { get; set; }

    /// <summary>The <c>Plugins:&lt;Name&gt;</c> settings this generation was built with, to detect a changed section.</summary>
    internal string SettingsSignature { get; init; } = string.Empty;

    internal ILogicPlugin Plugin { get; private set; }

    /// <summary>What this generation sees of the sessions; <see cref="SessionScope.Plugin"/> is null for a plugin without sessions.</summary>
    internal SessionScope Sessions { get; }

    /// <summary>The session plugin, or null: what the connections check before every request.</summary>
    /// <remarks>Kept until the generation is disposed (unlike <see cref="SessionScope.Plugin"/>, cleared when a swap retires it), so a pass
    /// still holding a lease on a retired generation knows it is one and retries on the current generation.</remarks>
    internal ISessionPlugin? SessionPlugin { get; private set; }

    /// <summary>This version's request counter and metric tags, shared by every generation of the same name and version.</summary>
    internal PluginCounters Counters { get; set; } = PluginCounters.Detached;

    internal PluginExecution Execution { get; }

    /// <summary>Calls (or reactor passes) currently running on this generation, abandoned ones included.</summary>
    internal int InFlight => (int)(Volatile.Read(ref _calls) & uint.MaxValue);

    /// <summary>Running calls whose connection is gone: they keep the generation loaded, but nobody waits for them.</summary>
    internal int Abandoned => (int)(Volatile.Read(ref _calls) >> 32);

    /// <summary>Running calls someone still waits for: what a swap drains.</summary>
    internal int Wanted
    {
        get
        {
            var calls = Volatile.Read(ref _calls);
            return (int)(calls & uint.MaxValue) - (int)(calls >> 32);
        }
    }

    internal void Enter() => Interlocked.Increment(ref _calls);

    internal void Exit() => Interlocked.Decrement(ref _calls);

    /// <summary>One call in flight is no longer wanted; it stays in flight until <see cref="ExitAbandoned"/>.</summary>
    internal void Abandon() => Interlocked.Add(ref _calls, AbandonedOne);

    /// <summary>An abandoned call ended: both counts drop at once.</summary>
    internal void ExitAbandoned() => Interlocked.Add(ref _calls, -AbandonedOne - 1);

    /// <summary>Disposes the plugin and its container, then unloads its load context.</summary>
    public async ValueTask DisposeAsync()
    {
        var plugin = Plugin;
        Plugin = DisposedPlugin.Instance;
        SessionPlugin = null;
        Sessions.Retire();
        switch (plugin)
        {
            case DisposedPlugin:
                return;
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }

        var services = Interlocked.Exchange(ref _services, null);
        if (services is not null)
        {
            await services.DisposeAsync().ConfigureAwait(false);
        }

        var loader = Interlocked.Exchange(ref _loader, null);
        if (loader is not null)
        {
            ForgetInSharedCaches();
            loader.Dispose();
        }
    }

    public override string ToString() => $"{Name} {Version} (generation {Number})";

    /// <summary>"Shout 1.0.0 (generation 3, built 2026-12-01 12:00:01Z, sha256 1a2b3c4d)": for messages that must say which build.</summary>
    public string Describe() => Build.Length == 0 ? ToString() : $"{Name} {Version} (generation {Number}, {Build})";

    /// <summary>
    /// Once nothing runs its code: clears shared caches of its types, and remembers which caching libraries it
    /// used, for the warning if it stays loaded. A separate frame, so no reference to the context outlives it.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void ForgetInSharedCaches()
    {
        if (LoadContext.Target is not AssemblyLoadContext context)
        {
            return;
        }

        CachingLibraries = UnloadCauses.CachingLibrariesUsedBy(context);
        SharedCaches.Forget(context);
    }

    /// <summary>Stands in for a disposed plugin so no reference into its load context survives.</summary>
    private sealed class DisposedPlugin : ILogicPlugin
    {
        public static readonly DisposedPlugin Instance = new();

        public void Process(ReadOnlySpan<byte> request, System.Buffers.IBufferWriter<byte> answer) =>
            throw new ObjectDisposedException("plugin", "This plugin generation was swapped out and disposed.");
    }
}
