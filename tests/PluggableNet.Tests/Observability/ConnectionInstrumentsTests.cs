using System.Globalization;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Observability;

/// <summary>The connection instruments over real loopback traffic: opened, closed with their reasons, bytes, bad headers.</summary>
public sealed class ConnectionInstrumentsTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ConnectionsAreCountedWhileOpenAndTimedWithTheirCloseReason(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var capture = new MeterCapture(server.Server.Meter.Meter);
        var port = server.Server.LocalEndPoint.Port;

        using (var polite = server.Connect())
        {
            using var rude = server.Connect();
            Assert.Equal("OLLEH", await polite.AskAsync("HELLO"));
            Assert.Equal("CBA", await rude.AskAsync("ABC"));
            Assert.Equal(2, capture.ObserveOne("pluggablenet.active_connections", ("server.port", port), ("network.transport", "tcp"), ("server.address", "127.0.0.1")));

            await rude.SendRawAsync("12x45HELLO");
            Assert.True(await rude.WaitForCloseAsync());
        }

        await Wait.UntilAsync(() => capture.Recorded("pluggablenet.connection.duration").Count == 2, because: "two closes recorded");
        var closes = capture.Recorded("pluggablenet.connection.duration");
        var bad = Assert.Single(closes, m => Equals(m.Tag("pluggablenet.close.reason"), "protocol_error"));
        Assert.Equal("protocol_error", bad.Tag("error.type"));
        var good = Assert.Single(closes, m => Equals(m.Tag("pluggablenet.close.reason"), "remote_closed"));
        Assert.Null(good.Tag("error.type"));
        Assert.All(closes, m =>
        {
            Assert.Equal(port, m.Tag("server.port"));
            Assert.Equal("tcp", m.Tag("network.transport"));
            Assert.InRange(m.Value, 0, 60);
            // Bounded cardinality: nothing that names a peer or a connection.
            Assert.DoesNotContain(m.Tags.Keys, k => k.Contains("peer", StringComparison.Ordinal) || k.Contains("client", StringComparison.Ordinal) || k.Contains("id", StringComparison.Ordinal));
        });

        Assert.Equal(0, capture.ObserveOne("pluggablenet.active_connections"));
        Assert.Equal(2, capture.ObserveOne("pluggablenet.accepted_connections"));
        Assert.Equal(0, capture.ObserveOne("pluggablenet.rejected_connections", ("error.type", "max_connections")));
        Assert.Equal(1, capture.ObserveOne("pluggablenet.protocol_errors", ("error.type", "not_digits")));
        Assert.Equal(0, capture.ObserveOne("pluggablenet.protocol_errors", ("error.type", "too_large")));

        // Two requests of 5 + 3 bytes with 5-byte headers, then the bad 10 bytes; answers of the same sizes back.
        Assert.Equal(10 + 8 + 10, capture.ObserveOne("pluggablenet.network.io", ("network.io.direction", "receive")));
        Assert.Equal(10 + 8, capture.ObserveOne("pluggablenet.network.io", ("network.io.direction", "transmit")));
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ConnectionsOverMaxConnectionsAreCountedAsRejected(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:MaxConnections", "1"));
        using var capture = new MeterCapture(server.Server.Meter.Meter);
        using var admitted = server.Connect();
        Assert.Equal("A", await admitted.AskAsync("A"));

        using var refused = server.Connect();
        Assert.True(await refused.WaitForCloseAsync());

        await Wait.UntilAsync(() => capture.ObserveOne("pluggablenet.rejected_connections", ("error.type", "max_connections")) == 1, because: "one rejection");
        Assert.Equal(2, capture.ObserveOne("pluggablenet.accepted_connections"));
        Assert.Equal(1, capture.ObserveOne("pluggablenet.active_connections"));
        Assert.Equal(server.Server.Metrics.RejectedConnections, server.Server.Status().RejectedConnections);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task TimeoutsAreCountedByKindAndCloseTheConnectionWithThatReason(string transport)
    {
        await using var server = TestServer.Start(transport, ("Limits:ReadTimeout", "0.3"), ("Limits:IdleTimeout", "0.6"));
        using var capture = new MeterCapture(server.Server.Meter.Meter);
        using var slow = server.Connect();
        using var idle = server.Connect();
        await slow.SendRawAsync("000");
        Assert.Equal("I", await idle.AskAsync("I"));

        Assert.True(await slow.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
        Assert.True(await idle.WaitForCloseAsync(TimeSpan.FromSeconds(10)));

        await Wait.UntilAsync(() => capture.Recorded("pluggablenet.connection.duration").Count == 2, because: "two closes recorded");
        Assert.Equal(1, capture.ObserveOne("pluggablenet.timeouts", ("pluggablenet.timeout.kind", "read")));
        Assert.Equal(1, capture.ObserveOne("pluggablenet.timeouts", ("pluggablenet.timeout.kind", "idle")));
        Assert.Equal(0, capture.ObserveOne("pluggablenet.timeouts", ("pluggablenet.timeout.kind", "write")));
        Assert.Equal(0, capture.ObserveOne("pluggablenet.timeouts", ("pluggablenet.timeout.kind", "process")));
        var reasons = capture.Recorded("pluggablenet.connection.duration").Select(m => m.Tag("error.type")?.ToString() ?? "none").Order().ToArray();
        Assert.Equal(new[] { "idle_timeout", "read_timeout" }, reasons);
        var idleClose = Assert.Single(capture.Recorded("pluggablenet.connection.duration"), m => Equals(m.Tag("error.type"), "idle_timeout"));
        Assert.True(idleClose.Value >= 0.5, idleClose.Value.ToString(CultureInfo.InvariantCulture));

        var status = server.Server.Status();
        Assert.Equal(1, status.Timeouts["read"]);
        Assert.Equal(1, status.Timeouts["idle"]);
    }
}
