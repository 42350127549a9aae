using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ProtocolV2;

/// <summary>
/// The plugins the v2 tests serve, compiled once per run into one folder: <see cref="Offloaded"/> and <see cref="Inline"/>.
/// Both answer any other payload reversed, as Reverse does.
/// </summary>
internal static class V2Plugins
{
    public const string Offloaded = "V2Offloaded";
    public const string Inline = "V2Inline";

    /// <summary>
    /// Offloaded. <c>sleep:MS</c> answers <c>slept:MS</c> after MS milliseconds; <c>cancel:PATH</c> waits for its token and
    /// writes PATH when it is signalled; <c>throw</c> throws; <c>huge</c> answers 17 MiB; <c>log:PATH:TEXT</c> appends
    /// TEXT and a line end to PATH, then answers TEXT (a server-side count of what was processed).
    /// </summary>
    private const string OffloadedSource = """
        using System;
        using System.Buffers;
        using System.IO;
        using System.Text;
        using System.Threading;
        using System.Threading.Tasks;

        namespace V2Plugins;

        public sealed class OffloadedPlugin : PluggableNet.ILogicPlugin
        {
            private static readonly object s_fileLock = new();

            public PluggableNet.PluginExecution Execution => PluggableNet.PluginExecution.Offloaded;

            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer) => throw new NotSupportedException();

            public async ValueTask ProcessAsync(ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, CancellationToken cancellationToken)
            {
                var text = Encoding.ASCII.GetString(request.Span);
                if (text.StartsWith("sleep:", StringComparison.Ordinal))
                {
                    await Task.Delay(int.Parse(text.Substring(6)), cancellationToken);
                    answer.Write(Encoding.ASCII.GetBytes("slept:" + text.Substring(6)));
                    return;
                }

                if (text.StartsWith("cancel:", StringComparison.Ordinal))
                {
                    try
                    {
                        await Task.Delay(Timeout.Infinite, cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        File.WriteAllText(text.Substring(7), "cancelled");
                        throw;
                    }
                }

                if (text == "throw")
                {
                    throw new InvalidOperationException("the plugin failed on purpose");
                }

                if (text == "huge")
                {
                    for (var i = 0; i < 17 * 16; i++)
                    {
                        var span = answer.GetSpan(65_536);
                        span[..65_536].Fill((byte)'h');
                        answer.Advance(65_536);
                    }

                    return;
                }

                if (text.StartsWith("log:", StringComparison.Ordinal))
                {
                    var parts = text.Split(':', 3);
                    lock (s_fileLock)
                    {
                        File.AppendAllText(parts[1], parts[2] + "\n");
                    }

                    answer.Write(Encoding.ASCII.GetBytes(parts[2]));
                    return;
                }

                var destination = answer.GetSpan(request.Length)[..request.Length];
                request.Span.CopyTo(destination);
                destination.Reverse();
                answer.Advance(request.Length);
            }
        }
        """;

    /// <summary>Inline. <c>throw</c> throws; <c>huge</c> answers 17 MiB.</summary>
    private const string InlineSource = """
        using System;
        using System.Buffers;
        using System.Text;

        namespace V2Plugins;

        public sealed class InlinePlugin : PluggableNet.ILogicPlugin
        {
            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
            {
                var text = Encoding.ASCII.GetString(request);
                if (text == "throw")
                {
                    throw new InvalidOperationException("the plugin failed on purpose");
                }

                if (text == "huge")
                {
                    for (var i = 0; i < 17 * 16; i++)
                    {
                        var span = answer.GetSpan(65_536);
                        span[..65_536].Fill((byte)'h');
                        answer.Advance(65_536);
                    }

                    return;
                }

                var destination = answer.GetSpan(request.Length)[..request.Length];
                request.CopyTo(destination);
                destination.Reverse();
                answer.Advance(request.Length);
            }
        }
        """;

    private static readonly Lazy<string> s_directory = new(BuildAll);

    public static string Directory => s_directory.Value;

    /// <summary>A test server serving <paramref name="plugin"/> from this folder.</summary>
    public static TestServer Start(string transport, string plugin, params (string Key, string Value)[] settings) =>
        TestServer.Start(transport, [("Logic:PluginsPath", Directory), ("Logic:Plugin", plugin), .. settings]);

    private static string BuildAll() => PluginCompiler.BuildForTheRun("pnet-v2", (Offloaded, OffloadedSource), (Inline, InlineSource));
}
