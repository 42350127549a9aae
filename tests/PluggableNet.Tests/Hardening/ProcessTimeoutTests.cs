using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

public sealed class ProcessTimeoutTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task OffloadedRequestThatNeverCompletesClosesOnlyItsConnection(string transport)
    {
        await using var server = HardeningPlugins.Start(transport, HardeningPlugins.Slow, ("Limits:ProcessTimeout", "1"));

        // Several bystanders, so some share the hung connection's reactor.
        var bystanders = Enumerable.Range(0, 6).Select(_ => server.Connect()).ToList();
        try
        {
            using var hung = server.Connect();
            await hung.SendAsync("hang");
            var closed = hung.WaitForCloseAsync(TimeSpan.FromSeconds(10));

            var answered = new int[bystanders.Count];
            for (var round = 0; round < 1000 && !closed.IsCompleted; round++)
            {
                for (var i = 0; i < bystanders.Count; i++)
                {
                    Assert.Equal(SocketHelpers.Reverse($"{i}-{round}"), await bystanders[i].AskAsync($"{i}-{round}"));
                    answered[i]++;
                }
            }

            Assert.True(await closed, "the hung request's connection was not closed");
            Assert.All(answered, count => Assert.True(count > 0));
            await server.Log.WaitForAsync("closed: ProcessTimeout after");
            await Wait.UntilAsync(() => server.Server.Metrics.OpenConnections == bystanders.Count, because: "the hung connection to be released");

            foreach (var bystander in bystanders)
            {
                Assert.Equal("retfa", await bystander.AskAsync("after"));
            }
        }
        finally
        {
            bystanders.ForEach(c => c.Dispose());
        }
    }
}
