using System.Diagnostics;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

public sealed class ReadTimeoutTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task HalfAHeaderThenSilenceIsClosedAfterTheReadTimeout(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:ReadTimeout", "0.3"), ("Limits:IdleTimeout", "0"));
        using var client = server.Connect();
        var watch = Stopwatch.StartNew();

        await client.SendRawAsync("000");

        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "a slowloris connection was kept open");
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(250), $"closed after {watch.Elapsed}, before the timeout");
        await server.Log.WaitForAsync("closed: ReadTimeout after");
        Assert.Equal(1, server.Server.Metrics.Timeouts);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task CompleteRequestsSentSlowlyAreNotAffected(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:ReadTimeout", "0.2"), ("Limits:IdleTimeout", "0"));
        using var client = server.Connect();

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal($"{i}wols", await client.AskAsync($"slow{i}"));

            // Pacing the well-behaved client: each pause is longer than the read timeout.
            await Task.Delay(400);
        }

        Assert.Equal("tsal", await client.AskAsync("last"));
        Assert.Equal(0, server.Server.Metrics.Timeouts);
    }
}
