using PluggableNet.Tests.Infrastructure;
using Serilog.Events;

namespace PluggableNet.Tests.Hardening;

public sealed class PluginThrowsTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ByDefaultOnlyTheFailingConnectionIsClosed(string transport)
    {
        await using var server = HardeningPlugins.Start(transport, HardeningPlugins.Faulty);
        var bystanders = Enumerable.Range(0, 4).Select(_ => server.Connect()).ToList();
        try
        {
            foreach (var bystander in bystanders)
            {
                Assert.Equal("olleh", await bystander.AskAsync("hello"));
            }

            // Several failures, so both reactors see at least one (connections spread over them).
            for (var i = 0; i < 6; i++)
            {
                using var victim = server.Connect();
                await victim.SendAsync("ok");
                await victim.SendAsync("throw");
                Assert.Equal("ko", await victim.ReadStringAsync());
                Assert.True(await victim.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
            }

            await server.Log.WaitForAsync("Plugin Faulty 1.0.0 failed on connection", LogEventLevel.Error);
            var fault = server.Log.Events.First(e => e.RenderMessage().Contains("failed on connection", StringComparison.Ordinal));
            Assert.Contains("connection closed", fault.RenderMessage(), StringComparison.Ordinal);
            Assert.Contains("127.0.0.1:", fault.RenderMessage(), StringComparison.Ordinal);
            Assert.IsType<InvalidOperationException>(fault.Exception);
            Assert.Equal(6, server.Server.Metrics.PluginFaults);

            foreach (var bystander in bystanders)
            {
                Assert.Equal("llits", await bystander.AskAsync("still"));
            }

            using var newcomer = server.Connect();
            Assert.Equal("wen", await newcomer.AskAsync("new"));
        }
        finally
        {
            bystanders.ForEach(c => c.Dispose());
        }
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task EmptyFrameSettingAnswersTheFailureAndKeepsTheConnection(string transport)
    {
        await using var server = HardeningPlugins.Start(transport, HardeningPlugins.Faulty, ("Limits:PluginFault", "EmptyFrame"));
        using var client = server.Connect();

        await client.SendRawAsync("00005throw00002ab");

        Assert.Empty(await client.ReadFrameAsync());
        Assert.Equal("ba", await client.ReadStringAsync());
        Assert.Equal("niaga", await client.AskAsync("again"));
        await server.Log.WaitForAsync("answered with an empty frame", LogEventLevel.Error);
        Assert.Equal(1, server.Server.Metrics.PluginFaults);
    }
}
