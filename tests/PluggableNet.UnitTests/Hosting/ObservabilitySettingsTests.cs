using System.Net;
using Microsoft.Extensions.Configuration;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;

namespace PluggableNet.UnitTests.Hosting;

public sealed class ObservabilitySettingsTests
{
    [Fact]
    public void EverythingIsOffByDefault()
    {
        var settings = Read().Observability;

        Assert.Null(settings.OtlpEndpoint);
        Assert.Null(settings.PrometheusEndpoint);
        Assert.Null(settings.HealthEndpoint);
        Assert.False(settings.ExportsMetrics);
        Assert.Equal(TimeSpan.Zero, settings.DrainDelay);
    }

    [Fact]
    public void AHealthEndpointBringsATwoSecondDrainDelay()
    {
        var settings = Read(("Health:Endpoint", "http://127.0.0.1:9465/")).Observability;

        Assert.Equal(new HttpEndPoint("Health:Endpoint", IPAddress.Loopback, 9465, "/"), settings.HealthEndpoint);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.DrainDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), Read(("Health:Endpoint", "http://127.0.0.1:9465/"), ("Health:DrainDelay", "5")).Observability.DrainDelay);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9464/metrics", "127.0.0.1", "/metrics")]
    [InlineData("http://127.0.0.1:9464", "127.0.0.1", "/metrics")]
    [InlineData("http://localhost:9464/scrape", "127.0.0.1", "/scrape")]
    [InlineData("http://*:9464/metrics", "0.0.0.0", "/metrics")]
    [InlineData("http://[::1]:9464/metrics", "::1", "/metrics")]
    public void PrometheusEndpointsParse(string url, string address, string path)
    {
        var endPoint = Read(("Telemetry:Prometheus:Endpoint", url)).Observability.PrometheusEndpoint!;

        Assert.Equal(IPAddress.Parse(address), endPoint.Address);
        Assert.Equal(9464, endPoint.Port);
        Assert.Equal(path, endPoint.Path);
    }

    [Fact]
    public void SameAddressAndPortShareOneListener()
    {
        var settings = Read(("Telemetry:Prometheus:Endpoint", "http://127.0.0.1:9464/metrics"), ("Health:Endpoint", "http://127.0.0.1:9464/")).Observability;

        Assert.True(settings.PrometheusEndpoint!.SharesListenerWith(settings.HealthEndpoint!));
        Assert.True(settings.ExportsMetrics);
    }

    [Theory]
    [InlineData("Telemetry:Prometheus:Endpoint", "metrics")]
    [InlineData("Telemetry:Prometheus:Endpoint", "http://127.0.0.1/metrics")]
    [InlineData("Telemetry:Prometheus:Endpoint", "http://127.0.0.1:9464/metrics?x=1")]
    [InlineData("Health:Endpoint", "http://host.example:9465/")]
    [InlineData("Health:Endpoint", "https://127.0.0.1:9465/")]
    [InlineData("Telemetry:Otlp:Endpoint", "collector:4317")]
    [InlineData("Telemetry:Otlp:Protocol", "carrier-pigeon")]
    public void BadValuesAreErrorsNamingTheirKey(string key, string value)
    {
        var error = Assert.Throws<ConfigurationException>(() => Read((key, value)));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheScrapePathCannotBeAHealthPathOnTheSameListener()
    {
        var error = Assert.Throws<ConfigurationException>(() => Read(("Telemetry:Prometheus:Endpoint", "http://127.0.0.1:9464/readyz"), ("Health:Endpoint", "http://127.0.0.1:9464/")));

        Assert.Contains("Telemetry:Prometheus:Endpoint", error.Message, StringComparison.Ordinal);
    }

    private static ServerSettings Read(params (string Key, string Value)[] values) =>
        ServerSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build());
}
