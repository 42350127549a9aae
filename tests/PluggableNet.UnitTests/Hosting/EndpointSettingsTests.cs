using Microsoft.Extensions.Configuration;
using PluggableNet.Protocol;
using PluggableNet.Server;
using PluggableNet.Server.Reload;
using PluggableNet.Server.Transport;

namespace PluggableNet.UnitTests.Hosting;

public sealed class EndpointSettingsTests
{
    [Fact]
    public void TheFlatKeysAloneAreOneEndpointNamedDefault()
    {
        var settings = Read(("Server:Port", "9191"), ("Logic:Plugin", "Upper"));

        var endpoint = Assert.Single(settings.Endpoints);
        Assert.Equal((ServerSettings.DefaultEndpointName, 9191, "Upper"), (endpoint.Name, endpoint.Port, endpoint.Plugin));
        Assert.Equal(settings with { Endpoints = [] }, endpoint);
    }

    [Fact]
    public void EachSectionIsAnEndpointTakingUnsetKeysFromTheFlatOnes()
    {
        var settings = Read(
            ("Limits:MaxConnections", "77"),
            ("Server:Transport", "Sockets"),
            ("Endpoints:Public:Server:Port", "9001"),
            ("Endpoints:Public:Logic:Plugin", "Reverse"),
            ("Endpoints:Internal:Server:Port", "9002"),
            ("Endpoints:Internal:Framing:Kind", "UInt32BigEndian"),
            ("Endpoints:Internal:Framing:AllowV2", "false"),
            ("Endpoints:Internal:Logic:Plugin", "Upper"),
            ("Endpoints:Internal:Limits:MaxConnections", "5"));

        Assert.Equal(["Internal", "Public"], settings.Endpoints.Select(e => e.Name).Order());
        var publicEndpoint = settings.Endpoints.Single(e => e.Name == "Public");
        var internalEndpoint = settings.Endpoints.Single(e => e.Name == "Internal");
        Assert.Equal((9001, 77, FramingKind.AsciiDecimal, TransportKind.Sockets, "Reverse"), (publicEndpoint.Port, publicEndpoint.MaxConnections, publicEndpoint.FramingKind, publicEndpoint.Transport, publicEndpoint.Plugin));
        Assert.Equal((9002, 5, FramingKind.UInt32BigEndian, false, "Upper"), (internalEndpoint.Port, internalEndpoint.MaxConnections, internalEndpoint.FramingKind, internalEndpoint.AllowV2, internalEndpoint.Plugin));
    }

    [Fact]
    public void AnEndpointWithTenDigitsIsNotCappedByTheFlatFiveDigits()
    {
        var settings = Read(("Endpoints:Wide:Server:Port", "0"), ("Endpoints:Wide:Framing:HeaderDigits", "10"));

        Assert.Equal(1024 * 1024, Assert.Single(settings.Endpoints).MaxFrameBytes);
    }

    [Theory]
    [InlineData("Endpoints:Public:Framing:HeaderDigits", "12", "Endpoints:Public:Framing:HeaderDigits: '12' is not a whole number from 1 to 10.")]
    [InlineData("Endpoints:Public:Limits:ReadTimeout", "soon", "Endpoints:Public:Limits:ReadTimeout: 'soon' is not a duration")]
    [InlineData("Endpoints:Public:Logic:Plugin", "../x", "Endpoints:Public:Logic:Plugin: '../x' is not a plugin name")]
    [InlineData("Endpoints:Public:Tls:Enabled", "true", "Endpoints:Public:Tls:CertificatePath: required")]
    [InlineData("Endpoints:Public:Server:ProxyProtocol", "true", "Endpoints:Public:Server:ProxyProtocol: true needs Endpoints:Public:Server:TrustedProxies")]
    public void ABadKeyInASectionIsNamedByItsFullPath(string key, string value, string expected)
    {
        var exception = Assert.Throws<ConfigurationException>(() => Read(("Endpoints:Public:Server:Port", "9001"), (key, value)));

        Assert.Contains(exception.Errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    /// <summary>Every key an endpoint section reads, with a value it refuses (Logic:PluginsPath takes any path).</summary>
    public static TheoryData<string, string> EveryEndpointKey => new()
    {
        { "Server:Address", "nowhere!" },
        { "Server:Port", "70000" },
        { "Server:Backlog", "0" },
        { "Server:ReactorThreads", "257" },
        { "Server:ReactorMigrationDrillMs", "-1" },
        { "Server:Transport", "Carrier" },
        { "Server:DrainTimeout", "soon" },
        { "Server:ProxyProtocol", "perhaps" },
        { "Server:TrustedProxies", "10.0.0.0/99" },
        { "Framing:Kind", "Morse" },
        { "Framing:HeaderDigits", "0" },
        { "Framing:MaxFrameBytes", "0" },
        { "Framing:AllowV2", "perhaps" },
        { "Logic:Plugin", "../x" },
        { "Logic:HotReload", "perhaps" },
        { "Logic:SwapDrainTimeout", "soon" },
        { "Limits:MaxConnections", "0" },
        { "Limits:MaxPendingWriteBytes", "1" },
        { "Limits:ReadTimeout", "soon" },
        { "Limits:MinReceiveRate", "-1" },
        { "Limits:MinReceiveRateGrace", "soon" },
        { "Limits:WriteTimeout", "soon" },
        { "Limits:IdleTimeout", "soon" },
        { "Limits:ProcessTimeout", "soon" },
        { "Limits:MaxConcurrentOffloads", "0" },
        { "Limits:MaxAbandonedOffloads", "-1" },
        { "Limits:MaxConcurrentRequests", "0" },
        { "Limits:PingInterval", "soon" },
        { "Limits:PingTimeout", "soon" },
        { "Limits:PluginFault", "Explode" },
        { "Limits:MaxConnectionsPerAddress", "-1" },
        { "Limits:AcceptRatePerAddress", "-1" },
        { "Limits:AcceptBurstPerAddress", "0" },
        { "Limits:TcpKeepAliveTime", "soon" },
        { "Limits:TcpKeepAliveInterval", "soon" },
        { "Limits:TcpKeepAliveCount", "-1" },
        { "Tls:Enabled", "perhaps" },
        { "Tls:Protocols", "Ssl3" },
        { "Tls:ClientCertificateMode", "Sometimes" },
        { "Tls:HandshakeTimeout", "soon" },
        { "Tls:Certificates:Api:HostNames", "not a name!" },
    };

    [Theory]
    [MemberData(nameof(EveryEndpointKey))]
    public void EveryKeyOfASectionIsNamedByItsFullPathWhenRefused(string key, string value)
    {
        var exception = Assert.Throws<ConfigurationException>(() => Read(
            [("Endpoints:Public:Server:Port", key == "Server:Port" ? value : "9001"), .. key == "Server:Port" ? [] : new[] { ($"Endpoints:Public:{key}", value) }]));

        Assert.Contains(exception.Errors, e => e.StartsWith($"Endpoints:Public:{key}: ", StringComparison.Ordinal));
        Assert.DoesNotContain(exception.Errors, e => e.StartsWith(key, StringComparison.Ordinal));
    }

    [Fact]
    public void TheV2PrefaceClashNamesTheSectionsKeys()
    {
        var exception = Assert.Throws<ConfigurationException>(() => Read(
            ("Endpoints:Bin:Server:Port", "9001"), ("Endpoints:Bin:Framing:Kind", "UInt32BigEndian"), ("Endpoints:Bin:Framing:MaxFrameBytes", "2000000000")));

        var error = Assert.Single(exception.Errors);
        Assert.StartsWith("Endpoints:Bin:Framing:MaxFrameBytes: 2000000000 with Endpoints:Bin:Framing:AllowV2 true and Endpoints:Bin:Framing:Kind UInt32BigEndian", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEndpointWithoutAPortOrOnAnotherOnesPortIsRefused()
    {
        var exception = Assert.Throws<ConfigurationException>(() => Read(
            ("Endpoints:A:Server:Port", "9001"), ("Endpoints:B:Server:Port", "9001"), ("Endpoints:C:Logic:Plugin", "Upper")));

        Assert.Contains(exception.Errors, e => e.StartsWith("Endpoints:C:Server:Port: required", StringComparison.Ordinal));
        Assert.Contains(exception.Errors, e => e.StartsWith("Endpoints:B:Server:Port: 9001", StringComparison.Ordinal));
    }

    [Fact]
    public void AddingOrRemovingAnEndpointNeedsARestart()
    {
        var next = Read(("Endpoints:Public:Server:Port", "9001"), ("Endpoints:Admin:Server:Port", "9003"));

        var changes = SettingsChange.EndpointsNeedingRestart(["Public", "Internal"], next);

        Assert.Equal([("Admin", "added"), ("Internal", "removed")], changes);
    }

    private static ServerSettings Read(params (string Key, string Value)[] values) =>
        ServerSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => (string?)v.Value)).Build());
}
