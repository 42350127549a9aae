using System.Diagnostics;
using System.Net.Sockets;
using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Hardening;

public sealed class ChaosTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_duration = TimeSpan.FromSeconds(5);

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task WellBehavedClientsSeeNoErrorsWhileOthersMisbehave(string transport)
    {
        await using var server = TestServer.Start(
            transport,
            // Short enough that slowloris and idle clients are cut several times within the run, long enough that a
            // well-behaved client stalled by a busy test machine (other tests run in parallel) is not mistaken for one.
            ("Limits:ReadTimeout", "1.5"),
            ("Limits:IdleTimeout", "2"),
            ("Limits:MaxPendingWriteBytes", "65536"),
            ("Limits:MinReceiveRateGrace", "1"));
        using var stop = new CancellationTokenSource(s_duration);
        var watch = Stopwatch.StartNew();

        var wellBehaved = Enumerable.Range(0, 8).Select(i => WellBehavedAsync(server, i, stop.Token)).ToList();
        var misbehaving = new List<Task<int>>
        {
            RepeatAsync(stop.Token, () => GarbageAsync(server, 1)),
            RepeatAsync(stop.Token, () => GarbageAsync(server, 2)),
            RepeatAsync(stop.Token, () => SlowlorisAsync(server)),
            RepeatAsync(stop.Token, () => NonReaderAsync(server)),
            RepeatAsync(stop.Token, () => ResetterAsync(server)),
            RepeatAsync(stop.Token, () => IdlerAsync(server)),
            RepeatAsync(stop.Token, () => AnnouncerAsync(server)),
            RepeatAsync(stop.Token, () => AnnouncerAsync(server)),
            RepeatAsync(stop.Token, () => LogFlooderAsync(server)),
        };

        var answers = await Task.WhenAll(wellBehaved);
        var mischief = await Task.WhenAll(misbehaving);
        output.WriteLine($"{transport}: {answers.Sum()} answers verified by 8 clients in {watch.Elapsed}; misbehaving connections: {string.Join(", ", mischief)}; protocol errors {server.Server.Metrics.ProtocolErrors}, timeouts {server.Server.Metrics.Timeouts}");

        Assert.All(answers, count => Assert.True(count > 0));
        await Wait.UntilAsync(() => server.Server.Metrics.OpenConnections == 0, because: "every connection to be released");
        Assert.DoesNotContain(server.Log.Events, e => e.Level >= Serilog.Events.LogEventLevel.Error);

        // Thousands of bad headers, a handful of lines: one in full per second and kind, the rest summed up.
        var badHeaderLines = server.Log.Events.Count(e => LogCapture.Render(e).Contains("invalid frame header", StringComparison.Ordinal));
        Assert.True(badHeaderLines <= 3 * ((int)watch.Elapsed.TotalSeconds + 2), $"{badHeaderLines} bad-header lines for {server.Server.Metrics.ProtocolErrors} bad headers");
    }

    /// <summary>Announces the largest frame allowed, sends one byte of it, and holds on.</summary>
    private static async Task AnnouncerAsync(TestServer server)
    {
        using var socket = await SocketHelpers.ConnectAsync(server.EndPoint);
        if (await SendIgnoringResetAsync(socket, "99999x"u8.ToArray()))
        {
            await SocketHelpers.ReadToEndAsync(socket, TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>Bad headers as fast as connections can be opened: every one of them is something to log.</summary>
    private static async Task LogFlooderAsync(TestServer server)
    {
        using var socket = await SocketHelpers.ConnectAsync(server.EndPoint);
        if (await SendIgnoringResetAsync(socket, "+0005hello"u8.ToArray()))
        {
            await SocketHelpers.ReadToEndAsync(socket, TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>Pipelines batches of requests and checks every answer; any error fails the test.</summary>
    private static async Task<int> WellBehavedAsync(TestServer server, int client, CancellationToken stop)
    {
        using var connection = server.Connect();
        var random = new Random(client);
        var verified = 0;
        for (var batch = 0; batch < 100_000 && !stop.IsCancellationRequested; batch++)
        {
            var requests = Enumerable.Range(0, random.Next(1, 20)).Select(i => $"c{client}-b{batch}-r{i}-{new string('x', random.Next(0, 2000))}").ToList();
            await connection.SendRawAsync(Frames.AsciiMany(requests));
            foreach (var request in requests)
            {
                Assert.Equal(SocketHelpers.Reverse(request), await connection.ReadStringAsync());
                verified++;
            }
        }

        return verified;
    }

    private static async Task<int> RepeatAsync(CancellationToken stop, Func<Task> misbehave)
    {
        var count = 0;
        for (; count < 10_000 && !stop.IsCancellationRequested; count++)
        {
            await misbehave();
        }

        return count;
    }

    private static async Task GarbageAsync(TestServer server, int seed)
    {
        using var socket = await SocketHelpers.ConnectAsync(server.EndPoint);
        var garbage = new byte[Random.Shared.Next(1, 4096)];
        new Random(seed + Environment.TickCount).NextBytes(garbage);
        garbage[0] = (byte)'x';
        await SendIgnoringResetAsync(socket, garbage);
        await SocketHelpers.ReadToEndAsync(socket, TimeSpan.FromSeconds(5));
    }

    private static async Task SlowlorisAsync(TestServer server)
    {
        using var socket = await SocketHelpers.ConnectAsync(server.EndPoint);
        foreach (var part in new[] { "0", "0", "0", "9", "9", "abc" })
        {
            if (!await SendIgnoringResetAsync(socket, System.Text.Encoding.ASCII.GetBytes(part)))
            {
                return;
            }

            // Pacing the slowloris.
            await Task.Delay(150);
        }

        await SocketHelpers.ReadToEndAsync(socket, TimeSpan.FromSeconds(5));
    }

    private static async Task NonReaderAsync(TestServer server)
    {
        var socket = await SocketHelpers.ConnectAsync(server.EndPoint);
        socket.ReceiveBufferSize = 16 * 1024;
        var burst = Enumerable.Range(0, 1000).SelectMany(_ => Frames.Ascii(new string('n', 1000))).ToArray();
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await socket.SendAsync(burst.AsMemory(), SocketFlags.None, giveUp.Token);
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException)
        {
            // Blocked by backpressure (as intended) or closed by a timeout.
        }

        SocketHelpers.Reset(socket);
    }

    private static async Task ResetterAsync(TestServer server)
    {
        var socket = await SocketHelpers.ConnectAsync(server.EndPoint);
        await SendIgnoringResetAsync(socket, Frames.Ascii("reset me")[..7]);
        SocketHelpers.Reset(socket);
    }

    private static async Task IdlerAsync(TestServer server)
    {
        using var socket = await SocketHelpers.ConnectAsync(server.EndPoint);
        await SocketHelpers.ReadToEndAsync(socket, TimeSpan.FromSeconds(5));
    }

    private static async Task<bool> SendIgnoringResetAsync(Socket socket, byte[] bytes)
    {
        try
        {
            await socket.SendAsync(bytes.AsMemory(), SocketFlags.None);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
