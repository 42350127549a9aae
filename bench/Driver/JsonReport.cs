using System.Text.Json;
using System.Text.Json.Nodes;

namespace PluggableNet.Bench.Driver;

/// <summary>Writes results.json: the run's settings, the machine, the summary rows and every raw measurement.</summary>
internal static class JsonReport
{
    private static readonly JsonSerializerOptions _options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Render(SessionResult session, IReadOnlyList<SummaryRow> rows)
    {
        var o = session.Options;
        var document = new JsonObject
        {
            ["started"] = session.Started.ToString("O"),
            ["finished"] = session.Finished.ToString("O"),
            ["commandLine"] = o.CommandLine,
            ["machine"] = JsonSerializer.SerializeToNode(session.Machine, _options),
            ["settings"] = new JsonObject
            {
                ["rounds"] = o.Rounds,
                ["durationSeconds"] = o.Duration.TotalSeconds,
                ["warmupSeconds"] = o.Warmup.TotalSeconds,
                ["smoke"] = o.Smoke,
                ["client"] = o.Client,
                ["servers"] = new JsonArray(o.Servers.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
                ["scenarios"] = new JsonArray(o.Scenarios.Select(s => JsonSerializer.SerializeToNode(Scenario.Get(s, o.Smoke), _options)).ToArray()),
            },
            ["succeeded"] = session.Succeeded,
            ["totalErrors"] = session.TotalErrors,
            ["failures"] = new JsonArray(session.Failures.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray()),
            ["summary"] = JsonSerializer.SerializeToNode(MarkdownReport.Ordered(session, rows).ToList(), _options),
            ["v2OverV1"] = V2CostReport.ToJson(session),
            ["measurements"] = new JsonArray(session.Measurements.Select(Measurement).ToArray()),
        };

        return document.ToJsonString(_options);
    }

    private static JsonNode Measurement(Measurement m) => new JsonObject
    {
        ["server"] = m.Server,
        ["scenario"] = m.Scenario,
        ["round"] = m.Round,
        ["cpuSecondsPer100K"] = m.CpuSecondsPer100K,
        ["clientCpuSecondsPer100K"] = m.ClientCpuSecondsPer100K,
        ["activeReactors"] = m.ActiveReactors,
        ["allocatedBytesPerRequest"] = m.AllocatedBytesPerRequest,
        ["idleRssBytesPerConnection"] = m.IdleRssBytesPerConnection,
        ["idleConnectFailures"] = m.IdleConnectFailures,
        ["errors"] = m.Errors,
        ["load"] = JsonNode.Parse(m.Load.ToJson()),
    };
}
