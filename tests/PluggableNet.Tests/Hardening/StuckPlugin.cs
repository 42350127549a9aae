using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

/// <summary>
/// An offloaded plugin, compiled once per test run, whose <c>stuck:PATH</c> request writes 50,000 bytes of its answer,
/// creates PATH (so a test knows the call is running) and then never completes, cancellation or not. Any other payload is answered reversed.
/// </summary>
internal static class StuckPlugin
{
    public const string Name = "Stuck";

    private const string Source = """
        using System;
        using System.Buffers;
        using System.IO;
        using System.Text;
        using System.Threading;
        using System.Threading.Tasks;

        namespace StuckPlugins;

        public sealed class StuckPlugin : PluggableNet.ILogicPlugin
        {
            public PluggableNet.PluginExecution Execution => PluggableNet.PluginExecution.Offloaded;

            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer) => throw new NotSupportedException();

            public async ValueTask ProcessAsync(ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, CancellationToken cancellationToken)
            {
                var text = Encoding.ASCII.GetString(request.Span);
                if (text.StartsWith("stuck:", StringComparison.Ordinal))
                {
                    answer.GetSpan(50_000)[..50_000].Fill((byte)'s');
                    answer.Advance(50_000);
                    File.WriteAllText(text.Substring(6), "running");
                    await Task.Delay(Timeout.Infinite, CancellationToken.None);
                }

                var destination = answer.GetSpan(request.Length)[..request.Length];
                request.Span.CopyTo(destination);
                destination.Reverse();
                answer.Advance(request.Length);
            }
        }
        """;

    /// <summary>The answer bytes a stuck call holds.</summary>
    public const int StuckAnswerBytes = 50_000;

    private static readonly Lazy<string> s_directory = new(() => PluginCompiler.BuildInNewDirectory(Name, Source));

    /// <summary>The plugins directory holding <see cref="Name"/>.</summary>
    public static string Directory => s_directory.Value;

    /// <summary>The arguments that serve this plugin.</summary>
    public static string[] Arguments => [$"--Logic:PluginsPath={Directory}", $"--Logic:Plugin={Name}"];

    /// <summary>Starts a call that never ends on <paramref name="client"/> and waits until the plugin runs it.</summary>
    public static async Task StartStuckCallAsync(FrameClient client)
    {
        var marker = Path.Combine(Directory, $"running-{Guid.NewGuid():N}");
        await client.SendAsync("stuck:" + marker);
        await Wait.UntilAsync(() => File.Exists(marker), TimeSpan.FromSeconds(10), "the stuck call started");
    }
}
