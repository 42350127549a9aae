using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PluggableNet.Client;
using PluggableNet.Tests.Infrastructure;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace PluggableNet.Tests.Client;

/// <summary>
/// A client from <c>AddPluggableNetClient</c> with options from configuration talks to a real host, logs through the
/// container's <see cref="ILogger{TCategoryName}"/>, and is disposed with the container.
/// </summary>
public sealed class ContainerRegistrationTests
{
    [Fact]
    public async Task AClientFromTheContainerIsAnsweredAndLogsThroughTheContainersLogger()
    {
        await using var server = TestServer.Start("Sockets");

        // Bound but not listening: connects to it are refused, which the client logs as a warning.
        using var refusing = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        refusing.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PluggableNetClient:Endpoints"] = $"{refusing.LocalEndPoint}, {server.EndPoint}",
            ["PluggableNetClient:Selection"] = "RoundRobin",
            ["PluggableNetClient:RequestTimeout"] = "00:00:20",
        }).Build();
        var log = new LogCapture();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(new SerilogLoggerProvider(new LoggerConfiguration().MinimumLevel.Is(LogEventLevel.Debug).WriteTo.Sink(log).CreateLogger(), dispose: true)));
        services.AddPluggableNetClient(configuration.GetSection("PluggableNetClient"));
        var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<PluggableNetClient>();

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("olleh", await client.SendStringAsync("hello"));
        }

        Assert.True(log.Contains($"Cannot connect to {refusing.LocalEndPoint}"), string.Join(Environment.NewLine, log.Messages()));
        Assert.Contains(log.Events, e => e.Properties.TryGetValue("SourceContext", out var source) && source.ToString() == "\"PluggableNet.Client.PluggableNetClient\"");

        await provider.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => client.SendAsync("late"u8.ToArray()));
    }
}
