using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using PluggableNet.Server;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Transport;

namespace PluggableNet.Host.Telemetry;

/// <summary>
/// OpenTelemetry for the host's metrics, registered only when an exporter is configured (<c>Telemetry:Otlp:Endpoint</c>,
/// <c>Telemetry:Prometheus:Endpoint</c>): with none, no listener exists and recording costs nothing.
/// </summary>
internal static class MetricsExport
{
    /// <summary>The runtime's own meter (GC, thread pool, JIT, exceptions), built into .NET 9 and later.</summary>
    public const string RuntimeMeterName = "System.Runtime";

    public static void AddMetricsExport(this IServiceCollection services, ObservabilitySettings settings)
    {
        if (settings.ExportsMetrics)
        {
            AddOpenTelemetry(services, settings);
        }
    }

    // Apart, so that with export off the OpenTelemetry SDK's assemblies are never loaded (the JIT loads what a method names).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddOpenTelemetry(IServiceCollection services, ObservabilitySettings settings)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("PluggableNet.Host", serviceVersion: typeof(MetricsExport).Assembly.GetName().Version?.ToString(3)))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(HostMeter.MeterName, RuntimeMeterName);
                if (settings.OtlpEndpoint is { } otlp)
                {
                    metrics.AddOtlpExporter(options =>
                    {
                        options.Endpoint = otlp;
                        options.Protocol = settings.OtlpProtocol == "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                    });
                }

                if (settings.PrometheusEndpoint is { } prometheus)
                {
                    metrics.AddPrometheusExporter(options => options.ScrapeEndpointPath = prometheus.Path);
                }
            });
    }
}
