using System.Globalization;
using System.Text;
using Microsoft.Extensions.Configuration;
using PluggableNet.Host.Service;
using PluggableNet.Server;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.UnitTests.Hosting;

/// <summary>
/// One place for each default: the code. The table in docs/configuration.md states the same values, and a shipped
/// configuration (the host's appsettings.json, the embedding sample's, the Kubernetes ConfigMap) sets a documented key
/// only as a deliberate choice listed here with its reason, never as a second copy of the default that can drift (the
/// host's appsettings.json once said 4 MiB for <c>Limits:MaxPendingWriteBytes</c> where the code and the docs said
/// 64 KiB, so every user ran at 4 MiB).
/// </summary>
public sealed class DocumentedDefaultsTests
{
    /// <summary>A plugin's isolation keys, read per plugin when it loads (<c>IsolationSettings</c>): checked by <see cref="TheIsolationDefaultsAreTheDocumentedOnes"/>.</summary>
    private static readonly string[] s_isolationKeys = ["Plugins:<Name>:Isolation", "Plugins:<Name>:MaxMemoryBytes", "Plugins:<Name>:MemoryLimit", "Plugins:<Name>:MaxRestarts", "Plugins:<Name>:RestartWindow"];

    /// <summary>
    /// Rows of the table that are sections handed on whole (to a plugin, to Serilog) or read per name (one SNI certificate
    /// each: <c>TlsSettingsTests</c> reads their keys), not keys the settings readers read.
    /// </summary>
    private static readonly string[] s_sections = ["Plugins:<Name>", "Serilog", "Tls:Certificates:<Name>", "Endpoints:<Name>", .. s_isolationKeys];

    /// <summary>Keys whose default depends on another key, read with that key set, as their row in the table says.</summary>
    private static readonly Dictionary<string, (string Key, string Value)> s_given = new()
    {
        // The default 5 ASCII digits cap the frame to 99999 bytes (FiveHeaderDigitsCapTheDefaultFrameSize); 10 cap nothing.
        ["Framing:MaxFrameBytes"] = ("Framing:HeaderDigits", "10"),

        // Without a health endpoint there is nothing to report "not ready" on, so the delay is 0.
        ["Health:DrainDelay"] = ("Health:Endpoint", "http://127.0.0.1:9465/"),
    };

    /// <summary>Every documented key a shipped configuration sets, with the reason; anything else it sets is undocumented or not a setting of ours.</summary>
    private static readonly Dictionary<(string File, string Key), string> s_deliberate = new()
    {
        [("deploy/kubernetes/configmap.yaml", "Server:Port")] = "pinned: deployment.yaml's containerPort and service.yaml's port name it",
        [("deploy/kubernetes/configmap.yaml", "Server:DrainTimeout")] = "pinned: deployment.yaml's terminationGracePeriodSeconds is sized to it",
        [("deploy/kubernetes/configmap.yaml", "Logic:PluginsPath")] = "the image keeps its plugins in /opt/pluggablenet/plugins",
        [("deploy/kubernetes/configmap.yaml", "Health:Endpoint")] = "the readiness and liveness probes of deployment.yaml",
        [("deploy/kubernetes/configmap.yaml", "Health:DrainDelay")] = "covers kube-proxy's endpoint removal, longer than the 2 s default",
        [("samples/EmbeddedWebApp/appsettings.json", "Server:Port")] = "beside the host's 9090, so the sample and a host can run at once",
    };

    /// <summary>Each shipped configuration, and the section under which it holds PluggableNet's keys.</summary>
    public static TheoryData<string, string?> ShippedConfigurations => new()
    {
        { "src/Host/appsettings.json", null },
        { "samples/EmbeddedWebApp/appsettings.json", "PluggableNet" },
        { "deploy/kubernetes/configmap.yaml", null },
    };

    [Fact]
    public void EveryKeyTheCodeReadsIsInTheTableAndEveryRowIsAKeyTheCodeReads()
    {
        var recorder = new KeysRead();
        var configuration = new ConfigurationBuilder().Add(recorder).Build();
        ServerSettings.Read(configuration);
        ServiceSettings.Read(configuration, _ => null, isRoot: false);

        var documented = Table().Keys.Except(s_sections).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(documented, recorder.Keys.Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public void TheCodeDefaultsAreTheDocumentedOnes()
    {
        var wrong = Table().Where(row => !s_sections.Contains(row.Key))
            .Select(row => (row.Key, Documented: row.Value, Code: Effective(row.Key, null)))
            .Where(row => row.Documented != row.Code)
            .Select(row => $"{row.Key}: the table says {row.Documented ?? "none"}, the code {row.Code ?? "none"}")
            .ToList();

        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    [Fact]
    public void TheIsolationDefaultsAreTheDocumentedOnes()
    {
        var defaults = PluggableNet.Server.Plugins.Isolation.IsolationSettings.Read(new ConfigurationBuilder().Build(), "Any");
        var table = Table();
        Assert.Equal(table["Plugins:<Name>:Isolation"], defaults.Isolation.ToString());
        Assert.Equal(table["Plugins:<Name>:MaxMemoryBytes"], defaults.MaxMemoryBytes.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(table["Plugins:<Name>:MemoryLimit"], defaults.MemoryLimit.ToString());
        Assert.Equal(table["Plugins:<Name>:MaxRestarts"], defaults.MaxRestarts.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(table["Plugins:<Name>:RestartWindow"], defaults.RestartWindow.TotalSeconds.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void FiveHeaderDigitsCapTheDefaultFrameSize()
    {
        var settings = ServerSettings.Read(new ConfigurationBuilder().Build());

        Assert.Equal(99_999, settings.MaxFrameBytes);
        Assert.Contains("99999 with 5 digits", File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "configuration.md")), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ShippedConfigurations))]
    public void AShippedConfigurationSetsADocumentedKeyOnlyAsAListedDeliberateChoice(string file, string? section)
    {
        var configuration = Shipped(file, section);
        var table = Table();
        var sectionNames = table.Keys.Select(k => k.Split(':')[0]).Except(s_sections.Select(s => s.Split(':')[0])).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        foreach (var (key, value) in configuration)
        {
            if (!table.TryGetValue(key, out var documented))
            {
                if (sectionNames.Contains(key.Split(':')[0]))
                {
                    problems.Add($"{key}: not a documented key (a typo?)");
                }

                continue;
            }

            var effective = Effective(key, value);
            if (!s_deliberate.ContainsKey((file, key)))
            {
                problems.Add(effective == documented
                    ? $"{key}: repeats the default {documented}; leave it out"
                    : $"{key}: {value} differs from the documented default {documented ?? "none"} without a listed reason");
            }
        }

        problems.AddRange(s_deliberate.Keys.Where(d => d.File == file && !configuration.ContainsKey(d.Key)).Select(d => $"{d.Key}: listed as deliberate, but not set"));
        Assert.True(problems.Count == 0, file + ":" + Environment.NewLine + string.Join(Environment.NewLine, problems));

        // And it is valid: the host starts with it.
        var all = new ConfigurationBuilder().AddInMemoryCollection(configuration).Build();
        ServerSettings.Read(all);
        ServiceSettings.Read(all, _ => null, isRoot: false);
    }

    /// <summary>Key → documented default (null for "none"), from the table under "## Every key".</summary>
    private static Dictionary<string, string?> Table()
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "docs", "configuration.md"));
        var start = Array.IndexOf(lines, "## Every key");
        Assert.True(start >= 0, "docs/configuration.md has no \"## Every key\" section");
        var rows = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)).Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
        {
            var cells = line.Split('|');
            var key = cells[1].Trim().Trim('`');
            var value = cells[2].Trim();
            Assert.True(rows.TryAdd(key, value == "none" ? null : value.Trim('`')), $"{key} has two rows");
        }

        return rows;
    }

    /// <summary>
    /// What the code makes of <paramref name="key"/>, set to <paramref name="value"/> (null: not set), written as the
    /// table writes it: durations in seconds, sizes in bytes, per-processor defaults as a formula, none for nothing.
    /// </summary>
    private static string? Effective(string key, string? value)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (s_given.TryGetValue(key, out var given))
        {
            values[given.Key] = given.Value;
        }

        if (value is not null)
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var s = ServerSettings.Read(configuration);

        // The table gives root's paths, and says what other users get.
        var service = ServiceSettings.Read(configuration, _ => null, isRoot: true);
        return key switch
        {
            "Server:Address" => s.Address.ToString(),
            "Server:Port" => Number(s.Port),
            "Server:Backlog" => Number(s.Backlog),
            "Server:ReactorThreads" => s.AdaptiveReactors ? "auto" : Number(s.ReactorThreads),
            "Server:ReactorMigrationDrillMs" => Number(s.ReactorMigrationDrillMs),

            // Epoll is the documented default on Linux, the only system this runs on in earnest; elsewhere Sockets.
            "Server:Transport" => s.Transport.ToString(),
            "Server:DrainTimeout" => Seconds(s.DrainTimeout),
            "Server:UpgradeTimeout" => Seconds(s.UpgradeTimeout),
            "Server:ProxyProtocol" => s.ProxyProtocol ? "true" : "false",
            "Server:TrustedProxies" => s.TrustedProxies.Count == 0 ? null : string.Join(",", s.TrustedProxies),
            "Framing:Kind" => s.FramingKind.ToString(),
            "Framing:HeaderDigits" => Number(s.HeaderDigits),
            "Framing:MaxFrameBytes" => Number(s.MaxFrameBytes),
            "Framing:AllowV2" => s.AllowV2 ? "true" : "false",
            "Logic:Plugin" => s.Plugin,
            "Logic:PluginsPath" => Path.GetRelativePath(AppContext.BaseDirectory, s.PluginsPath),
            "Logic:HotReload" => s.HotReload ? "true" : "false",
            "Logic:SwapDrainTimeout" => Seconds(s.SwapDrainTimeout),
            "Logic:UnloadReport" => s.UnloadReport ? "true" : "false",
            "Limits:MaxConnections" => Number(s.MaxConnections),
            "Limits:MaxPendingWriteBytes" => Number(s.MaxPendingWriteBytes),
            "Limits:ReadTimeout" => Seconds(s.ReadTimeout),
            "Limits:MinReceiveRate" => Number(s.MinReceiveRate),
            "Limits:MinReceiveRateGrace" => Seconds(s.MinReceiveRateGrace),
            "Limits:WriteTimeout" => Seconds(s.WriteTimeout),
            "Limits:IdleTimeout" => Seconds(s.IdleTimeout),
            "Limits:ProcessTimeout" => Seconds(s.ProcessTimeout),
            "Limits:MaxConcurrentOffloads" => PerProcessor(s.MaxConcurrentOffloads),
            "Limits:MaxAbandonedOffloads" => PerProcessor(s.MaxAbandonedOffloads),
            "Limits:PluginFault" => s.PluginFault.ToString(),
            "Limits:MaxConcurrentRequests" => Number(s.MaxConcurrentRequests),
            "Limits:PingInterval" => Seconds(s.PingInterval),
            "Limits:PingTimeout" => Seconds(s.PingTimeout),
            "Limits:MaxConnectionsPerAddress" => Number(s.MaxConnectionsPerAddress),
            "Limits:AcceptRatePerAddress" => Number(s.AcceptRatePerAddress),
            "Limits:AcceptBurstPerAddress" => Number(s.AcceptBurstPerAddress),
            "Limits:TcpKeepAliveTime" => Seconds(s.TcpKeepAliveTime),
            "Limits:TcpKeepAliveInterval" => Seconds(s.TcpKeepAliveInterval),
            "Limits:TcpKeepAliveCount" => Number(s.TcpKeepAliveCount),
            "Control:Socket" => s.ControlSocket,

            // Documented as a rule, not a path: held to it by comparing with the default pidfile's directory.
            "Control:Directory" => service.ControlDirectory == Path.GetDirectoryName(ServiceSettings.Read(new ConfigurationBuilder().Build(), _ => null, isRoot: true).PidFile)
                ? "the default pidfile's directory"
                : service.ControlDirectory,
            "Service:PidFile" => service.PidFile,
            "Service:LogFile" => service.LogFile,
            "Service:LogFileSizeLimit" => Number(service.LogFileSizeLimit),
            "Service:LogRetainedFiles" => Number(service.LogRetainedFiles),
            "Service:ConsoleFileSizeLimit" => Number(service.ConsoleFileSizeLimit),
            "Service:LogOutputTemplate" => service.LogOutputTemplate,
            "Telemetry:Otlp:Endpoint" => s.Observability.OtlpEndpoint?.ToString(),
            "Telemetry:Otlp:Protocol" => s.Observability.OtlpProtocol,
            "Telemetry:Prometheus:Endpoint" => s.Observability.PrometheusEndpoint?.ToString(),
            "Health:Endpoint" => s.Observability.HealthEndpoint?.ToString(),
            "Health:DrainDelay" => Seconds(s.Observability.DrainDelay),
            "Tls:Enabled" => s.Tls.Enabled ? "true" : "false",
            "Tls:CertificatePath" => s.Tls.CertificatePath,
            "Tls:KeyPath" => s.Tls.KeyPath,
            "Tls:PfxPath" => s.Tls.PfxPath,
            "Tls:Password" => s.Tls.Password?.Value,
            "Tls:Protocols" => s.Tls.Protocols.ToString(),
            "Tls:ClientCertificateMode" => s.Tls.ClientCertificateMode.ToString(),
            "Tls:ClientCaPath" => s.Tls.ClientCaPath,
            "Tls:HandshakeTimeout" => Seconds(s.Tls.HandshakeTimeout),
            _ => throw new InvalidOperationException($"{key} is documented, but this test does not know which setting it is: add it here."),
        };
    }

    /// <summary>A shipped file's keys and values, under <paramref name="section"/> if given, read as the host reads JSON.</summary>
    private static Dictionary<string, string?> Shipped(string file, string? section)
    {
        var path = Path.Combine(TestPaths.RepoRoot, file);
        var json = file.EndsWith(".yaml", StringComparison.Ordinal) ? EmbeddedJson(File.ReadAllLines(path)) : File.ReadAllText(path);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));
        IConfiguration configuration = new ConfigurationBuilder().AddJsonStream(stream).Build();
        if (section is not null)
        {
            configuration = configuration.GetSection(section);
        }

        return configuration.AsEnumerable(makePathsRelative: true)
            .Where(pair => pair.Value is not null)
            .ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The block under <c>appsettings.json: |</c> in a ConfigMap, without its indentation.</summary>
    private static string EmbeddedJson(string[] lines)
    {
        var start = Array.FindIndex(lines, l => l.TrimEnd().EndsWith("appsettings.json: |", StringComparison.Ordinal));
        Assert.True(start >= 0, "no appsettings.json block");
        var outer = lines[start].Length - lines[start].TrimStart().Length;
        var block = lines.Skip(start + 1).TakeWhile(l => l.Trim().Length == 0 || l.Length - l.TrimStart().Length > outer).ToList();
        var indent = block.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join('\n', block.Select(l => l.Length >= indent ? l[indent..] : string.Empty));
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString(CultureInfo.InvariantCulture);

    private static string PerProcessor(int value) =>
        value % Environment.ProcessorCount == 0 ? $"{value / Environment.ProcessorCount} × processors" : Number(value);

    /// <summary>A configuration source with nothing in it that notes every key asked for.</summary>
    private sealed class KeysRead : ConfigurationProvider, IConfigurationSource
    {
        public HashSet<string> Keys { get; } = new(StringComparer.OrdinalIgnoreCase);

        public override bool TryGet(string key, out string? value)
        {
            Keys.Add(key);
            return base.TryGet(key, out value);
        }

        public IConfigurationProvider Build(IConfigurationBuilder builder) => this;
    }
}
