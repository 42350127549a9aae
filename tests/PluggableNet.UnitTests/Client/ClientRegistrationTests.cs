using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PluggableNet.Client;
using PluggableNet.Protocol;

namespace PluggableNet.UnitTests.Client;

/// <summary>
/// <c>AddPluggableNetClient</c>: options from code or a configuration section, validated (at start, naming the
/// option), one client per container. Nothing connects: a client opens connections only for its first request.
/// </summary>
public sealed class ClientRegistrationTests
{
    [Fact]
    public async Task OptionsFromCodeGiveOneSharedClient()
    {
        var services = new ServiceCollection();
        services.AddPluggableNetClient(o =>
        {
            o.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 9090));
            o.Framing = FramingKind.UInt32BigEndian;
        });
        await using var provider = services.BuildServiceProvider(validateScopes: true);

        var client = provider.GetRequiredService<PluggableNetClient>();

        Assert.Same(client, provider.GetRequiredService<PluggableNetClient>());
        Assert.Equal(FramingKind.UInt32BigEndian, provider.GetRequiredService<IOptions<PluggableNetClientOptions>>().Value.Framing);
        Assert.Equal(Array.MaxLength - 4, client.MaxRequestBytes);
    }

    [Fact]
    public async Task OptionsAreBoundFromAConfigurationSection()
    {
        var configuration = Configuration(
            ("Client:Endpoints:0", "127.0.0.1:9090"),
            ("Client:Endpoints:1", "[::1]:9091"),
            ("Client:Endpoints:2", "localhost:9092"),
            ("Client:Framing", "AsciiDecimal"),
            ("Client:HeaderDigits", "3"),
            ("Client:RequestTimeout", "00:00:02"),
            ("Client:Selection", "RoundRobin"),
            ("Client:Idempotent", "true"),
            ("Client:ConnectionsPerEndpoint", "4"));
        var services = new ServiceCollection();
        services.AddPluggableNetClient(configuration.GetSection("Client"));
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<PluggableNetClientOptions>>().Value;

        Assert.Equal(["127.0.0.1:9090", "[::1]:9091", "localhost:9092"], options.Endpoints.Select(Text));
        Assert.Equal(3, options.HeaderDigits);
        Assert.Equal(TimeSpan.FromSeconds(2), options.RequestTimeout);
        Assert.Equal(EndpointSelection.RoundRobin, options.Selection);
        Assert.True(options.Idempotent);
        Assert.Equal(4, options.ConnectionsPerEndpoint);
        Assert.Equal(999, provider.GetRequiredService<PluggableNetClient>().MaxRequestBytes);
    }

    [Fact]
    public async Task ProtocolV2AndItsHeartbeatAreBoundFromConfiguration()
    {
        var configuration = Configuration(
            ("Client:Endpoints:0", "127.0.0.1:9090"),
            ("Client:Protocol", "V2"),
            ("Client:PingInterval", "00:00:05"),
            ("Client:PingTimeout", "00:00:01"));
        var services = new ServiceCollection();
        services.AddPluggableNetClient(configuration.GetSection("Client"));
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<PluggableNetClientOptions>>().Value;

        Assert.Equal(ClientProtocol.V2, options.Protocol);
        Assert.Equal(TimeSpan.FromSeconds(5), options.PingInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), options.PingTimeout);
        Assert.Equal(Array.MaxLength - 10, provider.GetRequiredService<PluggableNetClient>().MaxRequestBytes);
    }

    [Fact]
    public void TheDefaultProtocolIsV1WithA30SecondHeartbeatForV2()
    {
        var options = new PluggableNetClientOptions();

        Assert.Equal(ClientProtocol.V1, options.Protocol);
        Assert.Equal(TimeSpan.FromSeconds(30), options.PingInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), options.PingTimeout);
    }

    [Fact]
    public void AnUndefinedProtocolFailsNamingIt()
    {
        var options = new PluggableNetClientOptions { Protocol = (ClientProtocol)7 };
        options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 9090));

        var failure = Assert.Throws<ArgumentException>(() => new PluggableNetClient(options));

        Assert.StartsWith("Protocol: '7' is not a protocol", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EndpointsMayBeOneCommaSeparatedValue()
    {
        var services = new ServiceCollection();
        services.AddPluggableNetClient(Configuration(("Endpoints", "127.0.0.1:1, 127.0.0.1:2")));
        await using var provider = services.BuildServiceProvider();

        Assert.Equal(2, provider.GetRequiredService<IOptions<PluggableNetClientOptions>>().Value.Endpoints.Count);
    }

    [Theory]
    [InlineData("HeaderDigits", "11")]
    [InlineData("ConnectionsPerEndpoint", "0")]
    [InlineData("RequestTimeout", "-00:00:01")]
    [InlineData("MaxEndpointDownTime", "00:00:00.500")]
    [InlineData("PingInterval", "00:00:00")]
    [InlineData("PingTimeout", "-00:00:01")]
    public async Task AnInvalidOptionFailsTheStartNamingIt(string option, string value)
    {
        var services = new ServiceCollection();
        services.AddPluggableNetClient(Configuration(("Endpoints:0", "127.0.0.1:9090"), (option, value)));
        await using var provider = services.BuildServiceProvider();

        var atStart = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        var atResolve = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<PluggableNetClient>());

        Assert.StartsWith(option + ":", atStart.Message, StringComparison.Ordinal);
        Assert.StartsWith(option + ":", atResolve.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoEndpointFailsNamingEndpoints()
    {
        var services = new ServiceCollection();
        services.AddPluggableNetClient(_ => { });
        await using var provider = services.BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<PluggableNetClient>());

        Assert.Contains("Endpoints", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEndpointThatIsNotHostAndPortFailsNamingItsKey()
    {
        var services = new ServiceCollection();
        services.AddPluggableNetClient(Configuration(("Client:Endpoints:0", "nowhere")).GetSection("Client"));
        using var provider = services.BuildServiceProvider();

        var failure = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IOptions<PluggableNetClientOptions>>().Value);

        Assert.StartsWith("Client:Endpoints:", failure.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] pairs) =>
        new ConfigurationBuilder().AddInMemoryCollection(pairs.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value))).Build();

    private static string Text(EndPoint endpoint) => endpoint is DnsEndPoint dns ? $"{dns.Host}:{dns.Port}" : endpoint.ToString()!;
}
