using Microsoft.CodeAnalysis;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.PluginUnload;

/// <summary>
/// Real plugins, compiled from source, that use what is known (or said) to keep a plugin loaded: serializers on their
/// own types, statics holding the host's logger and configuration, a timer never stopped. Each answers with a tag,
/// so a test sees which build answered.
/// </summary>
internal static class UnloadPlugins
{
    public const string Name = "Unload";

    /// <summary>The leaking plugin's name: its generations stay loaded for the rest of the test run, apart from the others.</summary>
    public const string LeakyName = "Leaky";

    private const string Usings = """
        using System;
        using System.Buffers;
        using System.Collections.Generic;
        using System.Text;
        """;

    private const string Types = """
        public sealed class Order
        {
            public int Id { get; set; }
            public string? Name { get; set; }
            public List<Line> Lines { get; set; } = new();
        }

        public sealed class Line
        {
            public string? Sku { get; set; }
            public decimal Quantity { get; set; }
        }
        """;

    /// <summary>System.Text.Json's reflection serializer, default and custom options, on its own and anonymous types.</summary>
    public static byte[] SystemTextJson(string tag) => PluginCompiler.Compile(Name, Usings + $$"""
        using System.Text.Json;

        namespace UnloadStj;

        {{Types}}

        public sealed class Plugin : PluggableNet.ILogicPlugin
        {
            private static readonly JsonSerializerOptions s_camel = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
            {
                var order = new Order { Id = request.Length, Name = "{{tag}}", Lines = { new Line { Sku = "a", Quantity = 2 } } };
                var back = JsonSerializer.Deserialize<Order>(JsonSerializer.Serialize(order))!;
                var camel = JsonSerializer.Deserialize<Order>(JsonSerializer.Serialize(back, s_camel), s_camel)!;
                var text = JsonSerializer.Serialize(new { camel.Name, camel.Id, Count = camel.Lines.Count });
                BuffersExtensions.Write(answer, Encoding.UTF8.GetBytes(text));
            }
        }
        """, version: "1.0.0-" + tag);

    /// <summary>Newtonsoft.Json (its own copy in the plugin's folder) on its own and anonymous types.</summary>
    public static byte[] Newtonsoft(string tag) => PluginCompiler.Compile(Name, Usings + $$"""
        using Newtonsoft.Json;

        namespace UnloadNewtonsoft;

        {{Types}}

        public sealed class Plugin : PluggableNet.ILogicPlugin
        {
            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
            {
                var order = new Order { Id = request.Length, Name = "{{tag}}", Lines = { new Line { Sku = "a", Quantity = 2 } } };
                var back = JsonConvert.DeserializeObject<Order>(JsonConvert.SerializeObject(order))!;
                var text = JsonConvert.SerializeObject(new { back.Name, back.Id, Count = back.Lines.Count });
                BuffersExtensions.Write(answer, Encoding.UTF8.GetBytes(text));
            }
        }
        """, version: "1.0.0-" + tag, references: [MetadataReference.CreateFromFile(PluginCompiler.NewtonsoftDll)]);

    /// <summary>Keeps the host's logger, logger factory and its configuration in static fields: said to leak, it does not.</summary>
    public static byte[] StaticHostObjects(string tag) => PluginCompiler.Compile(Name, Usings + $$"""
        using Microsoft.Extensions.Configuration;
        using Microsoft.Extensions.Logging;

        namespace UnloadStatics;

        public sealed class Plugin : PluggableNet.ILogicPlugin
        {
            private static ILogger? s_logger;
            private static ILoggerFactory? s_factory;
            private static IConfiguration? s_settings;

            public Plugin(ILogger<Plugin> logger, ILoggerFactory factory, IConfiguration settings)
            {
                s_logger = logger;
                s_factory = factory;
                s_settings = settings;
            }

            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
            {
                s_logger!.LogDebug("request of {Length} bytes", request.Length);
                var category = s_factory!.CreateLogger("Unload.Statics");
                category.LogTrace("{Setting}", s_settings!["Anything"]);
                BuffersExtensions.Write(answer, Encoding.UTF8.GetBytes("{{tag}}"));
            }
        }
        """, version: "1.0.0-" + tag);

    /// <summary>Starts a timer it never stops: its callback, queued in the runtime's timer list, pins the plugin.</summary>
    public static byte[] LeakingTimer(string tag) => PluginCompiler.Compile(LeakyName, Usings + $$"""
        using System.Threading;

        namespace UnloadTimer;

        public sealed class Plugin : PluggableNet.ILogicPlugin
        {
            private static int s_ticks;
            private static readonly Timer s_timer = new(_ => s_ticks++, null, 100_000, 100_000);

            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
            {
                GC.KeepAlive(s_timer);
                BuffersExtensions.Write(answer, Encoding.UTF8.GetBytes("{{tag}}"));
            }
        }
        """, version: "6.6.6-" + tag);
}
