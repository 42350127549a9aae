using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using PluggableNet.Client;
using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Client;

/// <summary>
/// The client's side of protocol v2 against a scripted peer (<see cref="V2Wire"/>), for what a real host does only at
/// a precise moment or never: answers in a chosen order, a GOAWAY between two answers, a PING at once, no PONG, an
/// ERROR of each kind. The peer is the fixture; the client's frames and outcomes are what is checked.
/// </summary>
public sealed class V2ClientPeerTests
{
    [Fact]
    public async Task IdsStartAt1AndIncreaseAndAnswersOutOfOrderReachTheirOwnCallers()
    {
        var ids = new ConcurrentQueue<uint>();
        await using var peer = new RawPeer(async (socket, _) =>
        {
            Assert.True(await V2Wire.AcceptAsync(socket));
            var requests = new List<V2Wire.Frame>();
            for (var i = 0; i < 3; i++)
            {
                var request = (await V2Wire.ReadAsync(socket))!;
                ids.Enqueue(request.Id);
                requests.Add(request);
            }

            // The last first: a client that matched by position would give each caller another's answer.
            foreach (var request in Enumerable.Reverse(requests))
            {
                await V2Wire.AnswerAsync(socket, request.Id, ClientHosts.Reverse(request.Text));
            }

            await V2Wire.ReadAsync(socket);
        });
        var options = V2Options(peer);
        options.ConnectionsPerEndpoint = 1;
        await using var client = new PluggableNetClient(options);

        var first = client.SendStringAsync("first").AsTask();
        await Wait.UntilAsync(() => !ids.IsEmpty, because: "the first request reached the peer");
        var second = client.SendStringAsync("second").AsTask();
        await Wait.UntilAsync(() => ids.Count == 2, because: "the second request reached the peer");
        var third = client.SendStringAsync("third").AsTask();

        Assert.Equal(["tsrif", "dnoces", "driht"], await Task.WhenAll(first, second, third));
        Assert.Equal([1u, 2u, 3u], ids);
    }

    [Fact]
    public async Task AServerPingIsAnsweredWithAPongCarryingItsPayload()
    {
        var pong = new TaskCompletionSource<V2Wire.Frame?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var peer = new RawPeer(async (socket, _) =>
        {
            Assert.True(await V2Wire.AcceptAsync(socket));
            await V2Wire.WriteAsync(socket, FrameType.Ping, 0, "8 bytes!"u8);

            // The PONG and the request, in whichever order the client wrote them.
            var frames = new List<V2Wire.Frame> { (await V2Wire.ReadAsync(socket))!, (await V2Wire.ReadAsync(socket))! };
            pong.TrySetResult(frames.SingleOrDefault(f => f.Type == FrameType.Pong));
            await V2Wire.AnswerAsync(socket, frames.Single(f => f.Type == FrameType.Request).Id, "ok");
            await V2Wire.ReadAsync(socket);
        });
        await using var client = new PluggableNetClient(V2Options(peer));

        // The request opens the connection; the PING comes right after the SETTINGS.
        var answer = client.SendStringAsync("x").AsTask();

        var received = await pong.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(received);
        Assert.Equal((0u, "8 bytes!"), (received.Id, received.Text));
        Assert.Equal("ok", await answer);
    }

    [Fact]
    public async Task CancellingSendsCancelForTheIdAndTheLateAnswerIsDropped()
    {
        var cancel = new TaskCompletionSource<V2Wire.Frame?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var peer = new RawPeer(async (socket, _) =>
        {
            Assert.True(await V2Wire.AcceptAsync(socket));
            var slow = (await V2Wire.ReadAsync(socket))!;
            var frame = await V2Wire.ReadUntilAsync(socket, FrameType.Cancel);
            cancel.TrySetResult(frame);

            // A late answer for the cancelled id (it crossed the CANCEL), then the next request's.
            await V2Wire.AnswerAsync(socket, slow.Id, "late");
            var next = await V2Wire.ReadUntilAsync(socket, FrameType.Request);
            await V2Wire.AnswerAsync(socket, next!.Id, ClientHosts.Reverse(next.Text));
            await V2Wire.ReadAsync(socket);
        });
        await using var client = new PluggableNetClient(V2Options(peer));
        using var cancellation = new CancellationTokenSource();

        var cancelled = client.SendStringAsync("slow", cancellation.Token).AsTask();
        await Task.Delay(50);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var frame = await cancel.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((FrameType.Cancel, 1u, 0), (frame!.Type, frame.Id, frame.Payload.Length));
        Assert.Equal("txen", await client.SendStringAsync("next"));
    }

    [Fact]
    public async Task ATimedOutRequestFailsAndIsCancelledOnTheWire()
    {
        var cancel = new TaskCompletionSource<V2Wire.Frame?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var peer = new RawPeer(async (socket, _) =>
        {
            Assert.True(await V2Wire.AcceptAsync(socket));
            await V2Wire.ReadAsync(socket);
            cancel.TrySetResult(await V2Wire.ReadUntilAsync(socket, FrameType.Cancel));
            await V2Wire.ReadAsync(socket);
        });
        await using var client = new PluggableNetClient(V2Options(peer));

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => client.SendAsync("never"u8.ToArray(), new RequestOptions(Timeout: TimeSpan.FromMilliseconds(300))).AsTask());

        Assert.Contains("CANCEL sent", timeout.Message, StringComparison.Ordinal);
        Assert.Equal(1u, (await cancel.Task.WaitAsync(TimeSpan.FromSeconds(10)))!.Id);
        Assert.Equal(1, client.Counters.Timeouts);
    }

    [Fact]
    public async Task GoAwayResendsExactlyTheRequestsAboveItsLastIdOnANewConnection()
    {
        var perConnection = new ConcurrentDictionary<int, ConcurrentQueue<string>>();
        var allSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var peer = new RawPeer(async (socket, index) =>
        {
            var seen = perConnection.GetOrAdd(index, _ => new ConcurrentQueue<string>());
            Assert.True(await V2Wire.AcceptAsync(socket));
            if (index == 0)
            {
                var requests = new List<V2Wire.Frame>();
                for (var i = 0; i < 3; i++)
                {
                    requests.Add((await V2Wire.ReadAsync(socket))!);
                    seen.Enqueue(requests[^1].Text);
                }

                await allSent.Task;

                // Request 1 answered, GOAWAY naming 2 (still being answered), then 2's answer; 3 was never processed.
                await V2Wire.AnswerAsync(socket, 1, ClientHosts.Reverse(requests[0].Text));
                await V2Wire.GoAwayAsync(socket, lastId: 2, ErrorCode.NoError, "drain");
                await V2Wire.AnswerAsync(socket, 2, ClientHosts.Reverse(requests[1].Text));
                await V2Wire.ReadAsync(socket, TimeSpan.FromSeconds(5));
                return;
            }

            while (await V2Wire.ReadUntilAsync(socket, FrameType.Request) is { } request)
            {
                seen.Enqueue(request.Text);
                await V2Wire.AnswerAsync(socket, request.Id, ClientHosts.Reverse(request.Text));
            }
        });
        var options = V2Options(peer);
        options.ConnectionsPerEndpoint = 1;
        await using var client = new PluggableNetClient(options);

        var sent = new[] { "one", "two", "three" }.Select(r => client.SendStringAsync(r).AsTask()).ToArray();
        await Wait.UntilAsync(() => perConnection.TryGetValue(0, out var q) && q.Count == 3, because: "the three requests reached the first connection");
        allSent.SetResult();

        Assert.Equal(["eno", "owt", "eerht"], await Task.WhenAll(sent));

        // The third to arrive (id 3, above the last id) and only it went again, on the second connection.
        Assert.Equal([perConnection[0].ElementAt(2)], perConnection[1]);
        Assert.Equal(2, peer.Accepted);
        Assert.Equal(new ClientCounters(Resent: 1, Retried: 0, ConnectionFailures: 0, Timeouts: 0), client.Counters);
    }

    [Theory]
    [InlineData(ErrorCode.PluginFault, true)]
    [InlineData(ErrorCode.ProcessTimeout, true)]
    [InlineData(ErrorCode.AnswerTooLarge, true)]
    [InlineData(ErrorCode.FrameTooLarge, false)]
    [InlineData((ErrorCode)77, true)]
    public async Task AnErrorFrameFailsItsRequestAloneWithATypedException(ErrorCode code, bool mayHaveBeenProcessed)
    {
        await using var peer = new RawPeer(async (socket, _) =>
        {
            Assert.True(await V2Wire.AcceptAsync(socket));
            while (await V2Wire.ReadUntilAsync(socket, FrameType.Request) is { } request)
            {
                await (request.Text == "fail"
                    ? V2Wire.ErrorAsync(socket, request.Id, code, "boom")
                    : V2Wire.AnswerAsync(socket, request.Id, ClientHosts.Reverse(request.Text)));
            }
        });
        await using var client = new PluggableNetClient(V2Options(peer));

        var failure = await Assert.ThrowsAsync<PluggableNetRequestException>(() => client.SendStringAsync("fail").AsTask());

        Assert.Equal(code == (ErrorCode)77 ? ErrorCode.InternalError : code, failure.Code);
        Assert.Equal(mayHaveBeenProcessed, failure.MayHaveBeenProcessed);
        Assert.Contains("boom", failure.Message, StringComparison.Ordinal);
        Assert.Equal(peer.EndPoint, failure.Endpoint);
        Assert.Equal("kco", await client.SendStringAsync("ock"));
        Assert.Equal(1, peer.Accepted);
    }

    [Theory]
    [InlineData(ErrorCode.ShuttingDown)]
    [InlineData(ErrorCode.Overloaded)]
    public async Task ARequestRefusedUnprocessedIsResent(ErrorCode code)
    {
        var requests = new ConcurrentQueue<(int Connection, uint Id)>();
        var refused = 0;
        await using var peer = new RawPeer(async (socket, index) =>
        {
            Assert.True(await V2Wire.AcceptAsync(socket));
            while (await V2Wire.ReadUntilAsync(socket, FrameType.Request) is { } request)
            {
                requests.Enqueue((index, request.Id));
                if (Interlocked.Exchange(ref refused, 1) == 0)
                {
                    await V2Wire.ErrorAsync(socket, request.Id, code, "not now");
                    continue;
                }

                await V2Wire.AnswerAsync(socket, request.Id, ClientHosts.Reverse(request.Text));
            }
        });
        await using var client = new PluggableNetClient(V2Options(peer));

        Assert.Equal("niaga", await client.SendStringAsync("again"));
        Assert.Equal(1, client.Counters.Resent);

        // SHUTTING_DOWN retires the connection (the server drains): the resend opens another. OVERLOADED does not.
        var expected = code == ErrorCode.ShuttingDown ? new[] { (0, 1u), (1, 1u) } : [(0, 1u), (0, 2u)];
        Assert.Equal(expected, requests);
    }

    [Fact]
    public async Task NoMoreThanMaxConcurrentRequestsAreInFlightTheRestWaitUnsent()
    {
        // Each time 2 are in flight, whether the client then kept quiet (true) or sent a third (false).
        var quietAtTheLimit = new ConcurrentQueue<bool>();
        await using var peer = new RawPeer(async (socket, _) =>
        {
            Assert.True(await V2Wire.AcceptAsync(socket, new Settings { MaxConcurrentRequests = 2 }));
            var open = new Queue<V2Wire.Frame>();
            for (var answered = 0; answered < 5; answered++)
            {
                if (open.Count == 0)
                {
                    open.Enqueue((await V2Wire.ReadAsync(socket))!);
                }

                while (open.Count < 2 && !V2Wire.StaysQuiet(socket, TimeSpan.FromMilliseconds(150)))
                {
                    open.Enqueue((await V2Wire.ReadAsync(socket))!);
                }

                if (open.Count == 2)
                {
                    quietAtTheLimit.Enqueue(V2Wire.StaysQuiet(socket, TimeSpan.FromMilliseconds(200)));
                }

                var request = open.Dequeue();
                await V2Wire.AnswerAsync(socket, request.Id, ClientHosts.Reverse(request.Text));
            }

            await V2Wire.ReadAsync(socket);
        });
        var options = V2Options(peer);
        options.ConnectionsPerEndpoint = 1;
        await using var client = new PluggableNetClient(options);

        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => client.SendStringAsync($"r{i}").AsTask()));

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"{i}r"), answers);
        Assert.NotEmpty(quietAtTheLimit);
        Assert.All(quietAtTheLimit, Assert.True);
    }

    [Fact]
    public async Task ARequestAboveTheServersMaxFrameBytesFailsUnsent()
    {
        var requests = 0;
        await using var peer = new RawPeer(async (socket, _) =>
        {
            Assert.True(await V2Wire.AcceptAsync(socket, new Settings { MaxFrameBytes = 10 }));
            while (await V2Wire.ReadUntilAsync(socket, FrameType.Request) is { } request)
            {
                Interlocked.Increment(ref requests);
                await V2Wire.AnswerAsync(socket, request.Id, ClientHosts.Reverse(request.Text));
            }
        });
        await using var client = new PluggableNetClient(V2Options(peer));

        var failure = await Assert.ThrowsAsync<PluggableNetRequestException>(() => client.SendStringAsync("eleven char").AsTask());

        Assert.Equal(ErrorCode.FrameTooLarge, failure.Code);
        Assert.False(failure.MayHaveBeenProcessed);
        Assert.Equal("9876543210", await client.SendStringAsync("0123456789"));
        Assert.Equal(string.Empty, await client.SendStringAsync(string.Empty));
        Assert.Equal(2, Volatile.Read(ref requests));
    }

    [Fact]
    public async Task AConnectionSilentAfterAPingIsDeadAndItsRequestMayHaveBeenProcessed()
    {
        var ping = new TaskCompletionSource<V2Wire.Frame?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var peer = new RawPeer(async (socket, _) =>
        {
            Assert.True(await V2Wire.AcceptAsync(socket));
            await V2Wire.ReadAsync(socket);
            ping.TrySetResult(await V2Wire.ReadUntilAsync(socket, FrameType.Ping));

            // Never a PONG: a half-open connection, or a stuck server.
            await V2Wire.ReadAsync(socket);
        });
        var options = V2Options(peer);
        options.PingInterval = TimeSpan.FromMilliseconds(200);
        options.PingTimeout = TimeSpan.FromMilliseconds(300);
        await using var client = new PluggableNetClient(options);

        var failure = await Assert.ThrowsAsync<PluggableNetConnectionException>(() => client.SendStringAsync("stuck").AsTask());

        Assert.True(failure.MayHaveBeenProcessed);
        Assert.Contains("no PONG", failure.Message, StringComparison.Ordinal);
        var frame = await ping.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((0u, 8), (frame!.Id, frame.Payload.Length));
    }

    [Fact]
    public async Task AConnectionClosedWithoutGoAwayLeavesItsRequestUncertainNotResent()
    {
        await using var peer = new RawPeer(async (socket, _) =>
        {
            Assert.True(await V2Wire.AcceptAsync(socket));
            await V2Wire.ReadAsync(socket);
            socket.Shutdown(SocketShutdown.Both);
            socket.Close();
        });
        await using var client = new PluggableNetClient(V2Options(peer));

        var failure = await Assert.ThrowsAsync<PluggableNetConnectionException>(() => client.SendStringAsync("lost").AsTask());

        Assert.True(failure.MayHaveBeenProcessed);
        Assert.Contains("without GOAWAY", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, peer.Accepted);
    }

    [Fact]
    public async Task AHostThatAnswersThePrefaceWithoutItsOwnFailsTheConnectNotProcessed()
    {
        // What a host that refuses v2 does: the preface is an invalid v1 header, so it closes.
        await using var peer = new RawPeer(async (socket, _) =>
        {
            await socket.ReceiveAsync(new byte[8], SocketFlags.None);
            socket.Shutdown(SocketShutdown.Both);
            socket.Close();
        });
        await using var client = new PluggableNetClient(V2Options(peer));

        var failure = await Assert.ThrowsAsync<PluggableNetConnectionException>(() => client.SendStringAsync("hello").AsTask());

        Assert.False(failure.MayHaveBeenProcessed);
        Assert.Contains("does not speak protocol v2", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Protocol V1", failure.Message, StringComparison.Ordinal);
    }

    private static PluggableNetClientOptions V2Options(RawPeer peer)
    {
        var options = ClientHosts.Options(peer.EndPoint);
        options.Protocol = ClientProtocol.V2;
        return options;
    }
}
