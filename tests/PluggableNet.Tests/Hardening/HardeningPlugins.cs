using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

/// <summary>
/// Plugins that misbehave on request, compiled once per test run into one plugins directory:
/// <c>Faulty</c> (inline) and <c>Slow</c> (offloaded). Any other payload is answered reversed, as Reverse does.
/// </summary>
internal static class HardeningPlugins
{
    public const string Faulty = "Faulty";
    public const string Slow = "Slow";

    /// <summary>
    /// Inline. <c>throw</c> throws; <c>big</c> answers 100,000 bytes; <c>block:MS:PATH</c> creates PATH, then
    /// blocks the calling thread for MS milliseconds.
    /// </summary>
    private const string FaultySource = """
        using System;
        using System.Buffers;
        using System.IO;
        using System.Text;
        using System.Threading;

        namespace HardeningPlugins;

        public sealed class FaultyPlugin : PluggableNet.ILogicPlugin
        {
            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
            {
                var text = Encoding.ASCII.GetString(request);
                if (text == "throw")
                {
                    throw new InvalidOperationException("the plugin failed on purpose");
                }

                if (text == "big")
                {
                    var span = answer.GetSpan(100_000);
                    span[..100_000].Fill((byte)'x');
                    answer.Advance(100_000);
                    return;
                }

                if (text.StartsWith("block:", StringComparison.Ordinal))
                {
                    var parts = text.Split(':', 3);
                    File.WriteAllText(parts[2], "blocking");
                    Thread.Sleep(int.Parse(parts[1]));
                }

                var destination = answer.GetSpan(request.Length)[..request.Length];
                request.CopyTo(destination);
                destination.Reverse();
                answer.Advance(request.Length);
            }
        }
        """;

    /// <summary>
    /// Offloaded. <c>hang</c> never completes until cancelled; <c>flood</c> answers 4 MiB in 64 KiB writes (far above
    /// the largest frame); <c>deaf:MS</c> ignores cancellation for MS milliseconds; <c>sleep:MS</c> waits MS milliseconds and answers
    /// with the largest number of requests it ever saw running at once (so a test can read the concurrency).
    /// </summary>
    private const string SlowSource = """
        using System;
        using System.Buffers;
        using System.Text;
        using System.Threading;
        using System.Threading.Tasks;

        namespace HardeningPlugins;

        public sealed class SlowPlugin : PluggableNet.ILogicPlugin
        {
            private static int s_running;
            private static int s_maxRunning;

            public PluggableNet.PluginExecution Execution => PluggableNet.PluginExecution.Offloaded;

            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer) => throw new NotSupportedException();

            public async ValueTask ProcessAsync(ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, CancellationToken cancellationToken)
            {
                var text = Encoding.ASCII.GetString(request.Span);
                if (text == "hang")
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                    return;
                }

                if (text == "flood")
                {
                    for (var i = 0; i < 64; i++)
                    {
                        var span = answer.GetSpan(65_536);
                        span[..65_536].Fill((byte)'f');
                        answer.Advance(65_536);
                    }

                    return;
                }

                if (text.StartsWith("deaf:", StringComparison.Ordinal))
                {
                    // Ignores cancellation: the host must not let it hold an offload slot.
                    await Task.Delay(int.Parse(text.Substring(5)), CancellationToken.None);
                    answer.Write(Encoding.ASCII.GetBytes("late"));
                    return;
                }

                if (text.StartsWith("sleep:", StringComparison.Ordinal))
                {
                    var running = Interlocked.Increment(ref s_running);
                    int max;
                    while ((max = Volatile.Read(ref s_maxRunning)) < running && Interlocked.CompareExchange(ref s_maxRunning, running, max) != max)
                    {
                    }

                    try
                    {
                        await Task.Delay(int.Parse(text.Substring(6)), cancellationToken);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref s_running);
                    }

                    answer.Write(Encoding.ASCII.GetBytes(Volatile.Read(ref s_maxRunning).ToString()));
                    return;
                }

                var destination = answer.GetSpan(request.Length)[..request.Length];
                request.Span.CopyTo(destination);
                destination.Reverse();
                answer.Advance(request.Length);
            }
        }
        """;

    private static readonly Lazy<string> s_directory = new(BuildAll);

    /// <summary>The plugins directory holding <see cref="Faulty"/> and <see cref="Slow"/>.</summary>
    public static string Directory => s_directory.Value;

    /// <summary>Starts a test server serving <paramref name="plugin"/> from the hardening plugins directory.</summary>
    public static TestServer Start(string transport, string plugin, params (string Key, string Value)[] settings) =>
        TestServer.Start(transport, [("Logic:PluginsPath", Directory), ("Logic:Plugin", plugin), .. settings]);

    private static string BuildAll() => PluginCompiler.BuildForTheRun("pnet-hardening", (Faulty, FaultySource), (Slow, SlowSource));
}
