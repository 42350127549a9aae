using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.HotSwap;

/// <summary>
/// Versions of one plugin, <c>HotSwap</c>, compiled on the fly. Every version answers <c>TAG:request</c> (plus the
/// <c>Mark</c> setting of its section after the tag), so each answer shows which version produced it and for which
/// request. Each version carries a 1 MiB static ballast: a generation that is not unloaded shows in memory.
/// </summary>
internal static class HotSwapPlugins
{
    public const string Name = "HotSwap";

    private static readonly Dictionary<string, byte[]> s_cache = [];
    private static readonly Lock s_lock = new();

    /// <summary>v1: answers <c>A:request</c> inline.</summary>
    public static byte[] V1 => Tagged("A", "1.0.0");

    /// <summary>v2: answers <c>B:request</c> inline.</summary>
    public static byte[] V2 => Tagged("B", "2.0.0");

    /// <summary>
    /// A version answering <c>TAG:request</c>. Offloaded, it answers from <c>ProcessAsync</c> on the thread pool, and a
    /// request <c>slow</c> first creates the file named by its <c>Marker</c> setting, then takes 2 s.
    /// </summary>
    public static byte[] Tagged(string tag, string version, bool offloaded = false)
    {
        var key = $"{tag}|{version}|{offloaded}";
        lock (s_lock)
        {
            if (!s_cache.TryGetValue(key, out var dll))
            {
                dll = PluginCompiler.Compile(Name, Source(tag, offloaded), version);
                s_cache[key] = dll;
            }

            return dll;
        }
    }

    /// <summary>A library that compiles and loads but has no <c>ILogicPlugin</c> and references no contract.</summary>
    public static byte[] WithoutPlugin() => PluginCompiler.Compile(Name, "namespace NotAPlugin; public sealed class Helper { public int Answer() => 42; }", "9.0.0", withContract: false);

    /// <summary>The same plugin source built against a fake PluggableNet.Abstractions 2.0.0.0.</summary>
    public static byte[] AgainstContractV2() =>
        PluginCompiler.Compile(Name, Source("C", offloaded: false, usesHostAbstractions: false), "3.0.0", PluginCompiler.FakeContract(new Version(2, 0, 0, 0)));

    /// <summary>Bytes that are no assembly at all, as a half-finished copy or a corrupted download leaves behind.</summary>
    public static byte[] Garbage()
    {
        var bytes = new byte[8192];
        new Random(42).NextBytes(bytes);
        "MZ"u8.CopyTo(bytes);
        return bytes;
    }

    private static string Source(string tag, bool offloaded, bool usesHostAbstractions = true)
    {
        var constructor = usesHostAbstractions
            ? """
                public TaggedPlugin(ILogger<TaggedPlugin> logger, IConfiguration configuration)
                {
                    _mark = configuration["Mark"] ?? string.Empty;
                    _marker = configuration["Marker"];
                    _ = s_ballast.Length;
                    logger.LogInformation("HotSwap plugin version TAGVALUE created");
                }
            """
            : """
                public TaggedPlugin()
                {
                    _mark = string.Empty;
                    _ = s_ballast.Length;
                }
            """;
        var usings = usesHostAbstractions
            ? "using Microsoft.Extensions.Configuration;\nusing Microsoft.Extensions.Logging;\n"
            : string.Empty;
        var offload = offloaded
            ? """
                public PluginExecution Execution => PluginExecution.Offloaded;

                public async ValueTask ProcessAsync(ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, CancellationToken cancellationToken)
                {
                    if (request.Span.SequenceEqual("slow"u8))
                    {
                        if (_marker is not null)
                        {
                            File.WriteAllText(_marker, "started");
                        }

                        await Task.Delay(2000, cancellationToken);
                    }

                    Process(request.Span, answer);
                }
            """
            : string.Empty;
        return $$"""
            using System;
            using System.Buffers;
            using System.IO;
            using System.Text;
            using System.Threading;
            using System.Threading.Tasks;
            using PluggableNet;
            {{usings}}
            namespace HotSwapPlugin;

            public sealed class TaggedPlugin : ILogicPlugin, IDisposable
            {
                // Unloaded with the generation; a leaked generation keeps it, which a memory check can see.
                private static readonly byte[] s_ballast = new byte[1024 * 1024];

                private readonly string _mark;
                private readonly string? _marker;

            {{constructor.Replace("TAGVALUE", tag, StringComparison.Ordinal)}}

            {{offload}}

                public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
                {
                    var prefix = Encoding.UTF8.GetBytes("{{tag}}" + _mark + ":");
                    var span = answer.GetSpan(prefix.Length + request.Length);
                    prefix.CopyTo(span);
                    request.CopyTo(span[prefix.Length..]);
                    answer.Advance(prefix.Length + request.Length);
                }

                public void Dispose()
                {
                }
            }
            """;
    }
}
