using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.PluginUnload;

/// <summary>
/// Three plugins that really leak, each through one kind of GC root, for the root-path report: a static field of the
/// runtime (an UnhandledException subscription), a strong GC handle, and a thread that never returns with the plugin on its
/// stack. Each has a name of its own, so each leaked context is reported.
/// </summary>
internal static class RootPathPlugins
{
    public const string StaticName = "LeakyStatic";

    public const string HandleName = "LeakyHandle";

    public const string ThreadName = "LeakyThread";

    /// <summary>The AppContext switch, followed by the build's tag, that lets a leaky thread end (set by its test once it asserted).</summary>
    public const string ReleaseThreads = "pnet-rootpath-release-threads";

    /// <summary>The name the leaky thread is given.</summary>
    public const string WorkerName = "leaky-worker";

    private const string Usings = """
        using System;
        using System.Buffers;
        using System.Text;
        using System.Threading;
        using System.Runtime.InteropServices;
        """;

    /// <summary>
    /// Subscribes to AppDomain.UnhandledException (stored in the static field AppContext.UnhandledException) and never
    /// unsubscribes. (Not ProcessExit: on .NET 10 its handlers are not kept in a field of that name.)
    /// </summary>
    public static byte[] StaticEvent(string tag) => PluginCompiler.Compile(StaticName, Usings + $$"""
        namespace RootPathStatic;

        public sealed class Plugin : PluggableNet.ILogicPlugin
        {
            public Plugin() => AppDomain.CurrentDomain.UnhandledException += OnUnhandled;

            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer) =>
                BuffersExtensions.Write(answer, Encoding.UTF8.GetBytes("{{tag}}"));

            private void OnUnhandled(object? sender, UnhandledExceptionEventArgs e) { }
        }
        """, version: "7.0.0-" + tag);

    /// <summary>Allocates a normal (strong) GC handle to itself and never frees it.</summary>
    public static byte[] GcHandle(string tag) => PluginCompiler.Compile(HandleName, Usings + $$"""
        namespace RootPathHandle;

        public sealed class Plugin : PluggableNet.ILogicPlugin
        {
            private readonly GCHandle _self;

            public Plugin() => _self = GCHandle.Alloc(this, GCHandleType.Normal);

            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer) =>
                BuffersExtensions.Write(answer, Encoding.UTF8.GetBytes("{{tag}}"));
        }
        """, version: "7.0.0-" + tag);

    /// <summary>
    /// Starts a background thread, named <see cref="WorkerName"/>, that loops with the plugin on its stack until
    /// <see cref="ReleaseThreads"/><c>-&lt;tag&gt;</c> is set; it publishes its managed thread id as AppContext data <c>pnet-rootpath-thread-&lt;tag&gt;</c>.
    /// </summary>
    public static byte[] BlockedThread(string tag) => PluginCompiler.Compile(ThreadName, Usings + $$"""
        namespace RootPathThread;

        public sealed class Plugin : PluggableNet.ILogicPlugin
        {
            public Plugin()
            {
                var thread = new Thread(Run) { IsBackground = true, Name = "{{WorkerName}}" };
                thread.Start();
                AppContext.SetData("pnet-rootpath-thread-{{tag}}", thread.ManagedThreadId);
            }

            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer) =>
                BuffersExtensions.Write(answer, Encoding.UTF8.GetBytes("{{tag}}"));

            private void Run()
            {
                while (AppContext.GetData("{{ReleaseThreads}}-{{tag}}") is null)
                {
                    Thread.Sleep(20);
                    GC.KeepAlive(this);
                }
            }
        }
        """, version: "7.0.0-" + tag);
}
