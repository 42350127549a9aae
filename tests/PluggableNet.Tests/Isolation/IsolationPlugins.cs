using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Isolation;

/// <summary>
/// A plugin that takes its process down on request, each in a way an AssemblyLoadContext cannot contain, compiled at
/// test time: the commands are the <see cref="CrashKind"/> names and "NativeOutOfMemory" (native memory, touched, until
/// something stops it: the GC heap limit cannot); anything else is echoed, "pid" answers its process id.
/// </summary>
internal static class IsolationPlugins
{
    public const string CrashSource = """
        using System;
        using System.Buffers;
        using System.Collections.Generic;
        using System.Runtime.InteropServices;
        using System.Text;
        using System.Threading;
        using PluggableNet;

        public sealed class CrashPlugin : ILogicPlugin
        {
            private static readonly List<byte[]> s_hoard = new();
            private static readonly List<nint> s_nativeHoard = new();

            // A read through a bad pointer inside native code: a real SIGSEGV the runtime cannot turn into an exception.
            [DllImport("libc")]
            private static extern nint strlen(nint text);

            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
            {
                var text = Encoding.UTF8.GetString(request);
                switch (text)
                {
                    case "FailFast":
                        Environment.FailFast("the crash plugin fails fast");
                        break;
                    case "StackOverflow":
                        Recurse(0);
                        break;
                    case "ThreadException":
                        var thread = new Thread(() => throw new InvalidOperationException("boom on the crash plugin's own thread"));
                        thread.Start();
                        thread.Join();
                        Thread.Sleep(Timeout.Infinite);
                        break;
                    case "Segfault":
                        strlen(1);
                        Thread.Sleep(Timeout.Infinite);
                        break;
                    case "OutOfMemory":
                        while (true)
                        {
                            var block = new byte[1 << 20];
                            block.AsSpan().Fill(1);
                            s_hoard.Add(block);
                        }
                    case "NativeOutOfMemory":
                        var ones = new byte[1 << 20];
                        Array.Fill(ones, (byte)1);
                        while (true)
                        {
                            // Copied in, so every page is touched and counts in the process's resident memory.
                            var native = Marshal.AllocHGlobal(ones.Length);
                            Marshal.Copy(ones, 0, native, ones.Length);
                            s_nativeHoard.Add(native);
                        }
                    case "NeverReturns":
                        Thread.Sleep(Timeout.Infinite);
                        break;
                    case "Spam":
                        for (var i = 0; i < 1000; i++)
                        {
                            Console.Error.WriteLine("spam line " + i);
                        }

                        break;
                    case "pid":
                        text = Environment.ProcessId.ToString();
                        break;
                }

                var bytes = Encoding.UTF8.GetBytes(text);
                bytes.CopyTo(answer.GetSpan(bytes.Length));
                answer.Advance(bytes.Length);
            }

            private static int Recurse(int depth)
            {
                Span<byte> frame = stackalloc byte[256];
                frame[0] = (byte)depth;
                return Recurse(depth + 1) + frame[0];
            }
        }
        """;

    /// <summary>A plugin that answers "v{version}:{request}" (the version compiled in), for swaps under load.</summary>
    public static string VersionedSource(int version) => $$"""
        using System;
        using System.Buffers;
        using PluggableNet;

        public sealed class VersionedPlugin : ILogicPlugin
        {
            private static readonly byte[] s_prefix = System.Text.Encoding.ASCII.GetBytes("v{{version}}:");

            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
            {
                var span = answer.GetSpan(s_prefix.Length + request.Length);
                s_prefix.CopyTo(span);
                request.CopyTo(span[s_prefix.Length..]);
                answer.Advance(s_prefix.Length + request.Length);
            }
        }
        """;

    /// <summary>
    /// An offloaded plugin that echoes "n:{request}" after a delay that shrinks as the number in the request grows, so
    /// a pipelined burst finishes last-first: in its worker it runs on the thread pool and answers out of order.
    /// </summary>
    public const string DelayedSource = """
        using System;
        using System.Buffers;
        using System.Text;
        using System.Threading;
        using System.Threading.Tasks;
        using PluggableNet;

        public sealed class DelayedPlugin : ILogicPlugin
        {
            public PluginExecution Execution => PluginExecution.Offloaded;

            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer) => throw new InvalidOperationException("offloaded only");

            public async ValueTask ProcessAsync(ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, CancellationToken cancellationToken)
            {
                var text = Encoding.UTF8.GetString(request.Span);
                var number = int.TryParse(text.AsSpan(text.IndexOf('-') + 1), out var n) ? n : 0;
                await Task.Delay(Math.Max(1, 400 - 6 * number), cancellationToken);
                var bytes = Encoding.UTF8.GetBytes("n:" + text);
                bytes.CopyTo(answer.GetSpan(bytes.Length));
                answer.Advance(bytes.Length);
            }
        }
        """;

    private static readonly Lazy<string> s_delayedFolder = new(() => PluginCompiler.BuildForTheRun("pnet-isolation-delayed", ("Delayed", DelayedSource)));

    /// <summary>A plugins folder holding <c>Delayed</c>, built once per test run.</summary>
    public static string DelayedFolder => s_delayedFolder.Value;

    private static readonly Lazy<string> s_crashFolder = new(() => PluginCompiler.BuildForTheRun("pnet-isolation", ("Crash", CrashSource)));

    /// <summary>A plugins folder holding <c>Crash</c>, built once per test run.</summary>
    public static string CrashFolder => s_crashFolder.Value;
}

/// <summary>The ways a plugin ends its process.</summary>
public enum CrashKind
{
    FailFast,
    StackOverflow,
    ThreadException,
    Segfault,
    OutOfMemory,
    NeverReturns,
}
