using System.Diagnostics;
using PluggableNet.Client;
using PluggableNet.Tests.Hardening;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Client;

/// <summary>
/// A request that times out or is cancelled fails alone: its answer, when it comes, is read and dropped, so the
/// requests pipelined behind it on the same connection still get their own answers. Served by the compiled
/// <c>Slow</c> plugin (offloaded: <c>sleep:MS</c> answers after MS milliseconds, <c>hang</c> never).
/// </summary>
public sealed class TimeoutAndCancellationTests
{
    [Fact]
    public async Task StalledRequestTimesOutWithoutDesynchronisingTheConnection()
    {
        await using var server = HardeningPlugins.Start("Sockets", HardeningPlugins.Slow);
        var options = ClientHosts.Options(server.EndPoint);
        options.ConnectionsPerEndpoint = 1;
        await using var client = new PluggableNetClient(options);
        Assert.Equal("mraw", await client.SendStringAsync("warm"));

        var watch = Stopwatch.StartNew();
        var slow = client.SendAsync("sleep:1500"u8.ToArray(), new RequestOptions(Timeout: TimeSpan.FromMilliseconds(300))).AsTask();
        var behind = client.SendStringAsync("behind").AsTask();

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => slow);
        var timedOutAfter = watch.Elapsed;
        Assert.Contains("may have been processed", timeout.Message, StringComparison.Ordinal);
        Assert.InRange(timedOutAfter, TimeSpan.FromMilliseconds(290), TimeSpan.FromMilliseconds(1400));

        // The slow answer ("1") arrives first and is dropped; the request behind it gets its own.
        Assert.Equal("dniheb", await behind);
        Assert.Equal("retfa", await client.SendStringAsync("after"));
        Assert.Equal(1, client.Counters.Timeouts);
    }

    [Fact]
    public async Task HangingRequestTimesOutAndNewRequestsGoOnAFreshConnection()
    {
        // The host's own limit ends the hanging call soon after the test, so stopping the host does not wait for it.
        await using var server = HardeningPlugins.Start("Sockets", HardeningPlugins.Slow, ("Limits:ProcessTimeout", "3"));
        var options = ClientHosts.Options(server.EndPoint);
        options.ConnectionsPerEndpoint = 1;
        options.RequestTimeout = TimeSpan.FromMilliseconds(400);
        await using var client = new PluggableNetClient(options);

        await Assert.ThrowsAsync<TimeoutException>(() => client.SendStringAsync("hang").AsTask());

        // The stalled connection takes no new requests; the next one opens another and is answered.
        Assert.Equal("won", await client.SendAsync("now"u8.ToArray(), new RequestOptions(Timeout: TimeSpan.FromSeconds(20))).AsTask().ContinueWith(t => System.Text.Encoding.ASCII.GetString(t.Result)));
        Assert.Equal(2, server.Server.Status().Connections);
    }

    [Fact]
    public async Task CancelledPipelinedRequestFailsAloneAndItsAnswerIsDropped()
    {
        await using var server = HardeningPlugins.Start("Sockets", HardeningPlugins.Slow);
        var options = ClientHosts.Options(server.EndPoint);
        options.ConnectionsPerEndpoint = 1;
        await using var client = new PluggableNetClient(options);
        Assert.Equal("mraw", await client.SendStringAsync("warm"));

        using var cancellation = new CancellationTokenSource();
        var cancelled = client.SendAsync("sleep:700"u8.ToArray(), cancellation.Token).AsTask();
        var behind = client.SendStringAsync("behind").AsTask();
        await Task.Delay(100);
        var watch = Stopwatch.StartNew();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(500), $"cancellation took {watch.Elapsed}");
        Assert.Equal("dniheb", await behind);
        Assert.Equal("retfa", await client.SendStringAsync("after"));
        Assert.Equal(1, server.Server.Status().Connections);
    }

    [Fact]
    public async Task ManyCancellationsUnderLoadNeverMixUpAnswers()
    {
        await using var server = TestServer.Start("Sockets");
        var options = ClientHosts.Options(server.EndPoint);
        options.ConnectionsPerEndpoint = 2;
        await using var client = new PluggableNetClient(options);

        var cancelledCount = 0;
        var callers = Enumerable.Range(0, 16).Select(caller => Task.Run(async () =>
        {
            for (var i = 0; i < 300; i++)
            {
                var request = $"c{caller}-{i}";
                using var cancellation = new CancellationTokenSource();
                var answer = client.SendStringAsync(request, cancellation.Token).AsTask();
                if (i % 3 == 0)
                {
                    await cancellation.CancelAsync();
                }

                try
                {
                    Assert.Equal(ClientHosts.Reverse(request), await answer);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelledCount);
                }
            }
        }));
        await Task.WhenAll(callers);

        Assert.True(cancelledCount > 0, "some requests were cancelled before their answer");
        Assert.Equal("olleh", await client.SendStringAsync("hello"));
    }

    [Fact]
    public async Task DisposingTheClientFailsTheRequestsStillWaiting()
    {
        await using var server = HardeningPlugins.Start("Sockets", HardeningPlugins.Slow, ("Limits:ProcessTimeout", "3"));
        var client = new PluggableNetClient(ClientHosts.Options(server.EndPoint));
        Assert.Equal("mraw", await client.SendStringAsync("warm"));
        var waiting = client.SendStringAsync("hang").AsTask();

        await client.DisposeAsync();

        var failure = await Assert.ThrowsAsync<PluggableNetConnectionException>(() => waiting);
        Assert.Contains("disposed", failure.Message, StringComparison.Ordinal);
        Assert.True(failure.MayHaveBeenProcessed);
        Assert.Throws<ObjectDisposedException>(() => client.SendAsync("late"u8.ToArray()));
    }
}
