using System.Text;
using PluggableNet.Tests.Infrastructure;
using Serilog.Events;

namespace PluggableNet.Tests.Hardening;

public sealed class AnswerTooLargeTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AnswerTheFramingCannotExpressClosesAfterTheAnswersBeforeIt(string transport)
    {
        await using var server = HardeningPlugins.Start(transport, HardeningPlugins.Faulty);
        using var client = server.Connect();

        await client.SendRawAsync("00002ab00002cd00003big00002ef");
        var (bytes, _) = await SocketHelpers.ReadToEndAsync(client.Socket, TimeSpan.FromSeconds(5));

        // Exactly the two answers before the oversized one: no header that lies, nothing after it.
        Assert.Equal("00002ba00002dc", Encoding.ASCII.GetString(bytes));
        await server.Log.WaitForAsync("answered 100000 bytes", LogEventLevel.Error);
        Assert.Contains(server.Log.Messages(), m => m.Contains("Plugin Faulty 1.0.0", StringComparison.Ordinal) && m.Contains("at most 99999", StringComparison.Ordinal));
        await Wait.UntilAsync(() => server.Server.Metrics.OpenConnections == 0, because: "the connection to close");

        using var other = server.Connect();
        Assert.Equal("enif", await other.AskAsync("fine"));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AnOffloadedAnswerAboveTheLargestFrameIsCountedNotKeptAndClosesTheConnection(string transport)
    {
        await using var server = HardeningPlugins.Start(transport, HardeningPlugins.Slow);
        using var client = server.Connect();

        await client.SendRawAsync("00002ab00005flood00002cd");
        var (bytes, _) = await SocketHelpers.ReadToEndAsync(client.Socket, TimeSpan.FromSeconds(5));

        Assert.Equal("00002ba", Encoding.ASCII.GetString(bytes));
        await server.Log.WaitForAsync("answered 4194304 bytes", LogEventLevel.Error);
        await Wait.UntilAsync(() => server.Server.Metrics.OpenConnections == 0, because: "the connection to close");

        using var other = server.Connect();
        Assert.Equal("enif", await other.AskAsync("fine"));
    }
}
