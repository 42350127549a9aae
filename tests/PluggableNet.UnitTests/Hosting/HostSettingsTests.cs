using Microsoft.Extensions.Configuration;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Protocol;
using PluggableNet.Server;
using PluggableNet.Server.Framing;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;
using PluggableNet.Server.Transport;

namespace PluggableNet.UnitTests.Hosting;

public sealed class HostSettingsTests
{
    private static ServerSettings Read(params (string Key, string Value)[] values) =>
        ServerSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => (string?)v.Value)).Build());

    [Fact]
    public void DefaultsMatchTheOriginalServer()
    {
        var settings = Read();

        Assert.Equal("0.0.0.0", settings.Address.ToString());
        Assert.Equal(9090, settings.Port);
        Assert.Equal(FramingKind.AsciiDecimal, settings.FramingKind);
        Assert.Equal(5, settings.HeaderDigits);
        Assert.Equal("Reverse", settings.Plugin);
        Assert.Equal(Environment.ProcessorCount, settings.ReactorThreads);
        Assert.Equal(OperatingSystem.IsLinux() ? TransportKind.Epoll : TransportKind.Sockets, settings.Transport);
    }

    [Theory]
    [InlineData("Server:Port", "70000")]
    [InlineData("Server:Port", "http")]
    [InlineData("Framing:HeaderDigits", "0")]
    [InlineData("Framing:HeaderDigits", "11")]
    [InlineData("Server:Transport", "Carrier-Pigeon")]
    [InlineData("Server:Transport", "1")]
    [InlineData("Framing:Kind", "Varint")]
    [InlineData("Server:Address", "not-an-address")]
    [InlineData("Limits:ReadTimeout", "soon")]
    [InlineData("Limits:MaxConnections", "-1")]
    [InlineData("Logic:HotReload", "maybe")]
    [InlineData("Framing:AllowV2", "perhaps")]
    [InlineData("Server:TrustedProxies", "10.0.0.0/33")]
    [InlineData("Server:TrustedProxies", "proxy.example")]
    [InlineData("Limits:MaxConcurrentRequests", "0")]
    [InlineData("Limits:PingInterval", "often")]
    [InlineData("Limits:PingTimeout", "-5")]
    [InlineData("Limits:MaxConnectionsPerAddress", "-1")]
    [InlineData("Limits:AcceptRatePerAddress", "fast")]
    [InlineData("Limits:AcceptBurstPerAddress", "0")]
    [InlineData("Limits:TcpKeepAliveTime", "1.5")]
    [InlineData("Limits:TcpKeepAliveInterval", "40000")]
    [InlineData("Limits:TcpKeepAliveCount", "128")]
    public void ABadValueIsRejectedNamingItsKey(string key, string value)
    {
        var error = Assert.Throws<ConfigurationException>(() => Read((key, value)));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ABinaryLimitTheV2PrefaceCouldBeReadAsIsRefusedNamingBothKeys()
    {
        var error = Assert.Throws<ConfigurationException>(() => Read(("Framing:Kind", "UInt32BigEndian"), ("Framing:MaxFrameBytes", "1347306836")));

        Assert.Contains("Framing:MaxFrameBytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("Framing:AllowV2", error.Message, StringComparison.Ordinal);
        Assert.Equal(1_347_306_835, Read(("Framing:Kind", "UInt32BigEndian"), ("Framing:MaxFrameBytes", "1347306835")).MaxFrameBytes);
        Assert.Equal(2_000_000_000, Read(("Framing:Kind", "UInt32BigEndian"), ("Framing:MaxFrameBytes", "2000000000"), ("Framing:AllowV2", "false")).MaxFrameBytes);
    }

    [Fact]
    public void ProxyProtocolWithoutTrustedProxiesIsRefusedNamingBothKeys()
    {
        var error = Assert.Throws<ConfigurationException>(() => Read(("Server:ProxyProtocol", "true")));

        Assert.Contains("Server:ProxyProtocol", error.Message, StringComparison.Ordinal);
        Assert.Contains("Server:TrustedProxies", error.Message, StringComparison.Ordinal);
        Assert.Equal(["127.0.0.1/32", "10.0.0.0/8", "::1/128"], Read(("Server:ProxyProtocol", "true"), ("Server:TrustedProxies", "127.0.0.1, 10.0.0.0/8 ::1")).TrustedProxies.Select(n => n.ToString()));
    }

    [Fact]
    public void EveryBadValueIsReportedAtOnce()
    {
        var error = Assert.Throws<ConfigurationException>(() => Read(("Server:Port", "70000"), ("Framing:HeaderDigits", "0")));

        Assert.Equal(2, error.Errors.Count);
    }

    [Fact]
    public void DurationsAcceptSecondsAndTimeSpans()
    {
        var settings = Read(("Limits:ReadTimeout", "0.25"), ("Limits:IdleTimeout", "00:02:00"), ("Server:DrainTimeout", "0"));

        Assert.Equal(TimeSpan.FromMilliseconds(250), settings.ReadTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), settings.IdleTimeout);
        Assert.Equal(TimeSpan.Zero, settings.DrainTimeout);
    }
}
