using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ProtocolV2;

/// <summary>On v2 a failed request is an ERROR frame for its id, with a stable code, and the connection stays open.</summary>
public sealed class ErrorFrameTests
{
    [Theory]
    [MemberData(nameof(FrameTests.TransportsAndPlugins), MemberType = typeof(FrameTests))]
    public async Task APluginFaultIsAnErrorForThatRequestOnly(string transport, string plugin)
    {
        await using var server = V2Plugins.Start(transport, plugin);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        await connection.RequestAsync(1, "throw");
        var error = await connection.ReadFrameAsync();

        Assert.Equal((FrameType.Error, 1u, ErrorCode.PluginFault), (error.Type, error.Id, error.Error.Code));
        Assert.Equal("the plugin failed: InvalidOperationException", error.Error.Text);
        Assert.Equal("retfa", await connection.AskAsync(2, "after"));
        await server.Log.WaitForAsync("answered ERROR PLUGIN_FAULT for request 1");
    }

    [Theory]
    [MemberData(nameof(FrameTests.TransportsAndPlugins), MemberType = typeof(FrameTests))]
    public async Task AnAnswerAboveTheLimitIsAnErrorAndTheConnectionStaysOpen(string transport, string plugin)
    {
        await using var server = V2Plugins.Start(transport, plugin);
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        await connection.RequestAsync(1, "huge");
        var error = await connection.ReadFrameAsync();

        Assert.Equal((FrameType.Error, 1u, ErrorCode.AnswerTooLarge), (error.Type, error.Id, error.Error.Code));
        Assert.Equal("retfa", await connection.AskAsync(2, "after"));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ARequestPastTheProcessTimeoutIsAnErrorAndItsCallIsCancelled(string transport)
    {
        var marker = Path.Combine(V2Plugins.Directory, $"timeout-{Guid.NewGuid():N}");
        await using var server = V2Plugins.Start(transport, V2Plugins.Offloaded, ("Limits:ProcessTimeout", "00:00:00.300"));
        using var connection = await V2Connection.OpenAsync(server.EndPoint);

        await connection.RequestAsync(1, "cancel:" + marker);
        var error = await connection.ReadFrameAsync();

        Assert.Equal((FrameType.Error, 1u, ErrorCode.ProcessTimeout), (error.Type, error.Id, error.Error.Code));
        await Wait.UntilAsync(() => File.Exists(marker), Wait.Default, "the plugin's token to be signalled");
        Assert.Equal("retfa", await connection.AskAsync(2, "after"));
        Assert.Equal(1, server.Server.Status().Timeouts["process"]);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ARequestBeyondMaxConcurrentRequestsIsOverloadedAndNotProcessed(string transport)
    {
        await using var server = V2Plugins.Start(transport, V2Plugins.Offloaded, ("Limits:MaxConcurrentRequests", "2"));
        using var connection = await V2Connection.OpenAsync(server.EndPoint);
        Assert.Equal(2u, connection.Settings.MaxConcurrentRequests);

        await connection.SendRawAsync([.. V2Connection.Request(1, "sleep:400"), .. V2Connection.Request(2, "sleep:400"), .. V2Connection.Request(3, "third")]);

        var first = await connection.ReadFrameAsync();
        Assert.Equal((FrameType.Error, 3u, ErrorCode.Overloaded), (first.Type, first.Id, first.Error.Code));
        var rest = new[] { await connection.ReadFrameAsync(), await connection.ReadFrameAsync() };
        Assert.Equal([1u, 2u], rest.Select(f => f.Id).Order());
        Assert.All(rest, f => Assert.Equal("slept:400", f.Text));
        Assert.Equal("htruof", await connection.AskAsync(4, "fourth"));
    }
}
