using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using PluggableNet.Client;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Client;

/// <summary>
/// Several endpoints: a failing one is left out with backoff and tried again later; a host killed mid-run costs
/// retrying clients nothing and plain clients only the requests in flight on it, each with a clear exception; a host
/// stopped with SIGTERM (drain) costs nobody anything. Real host processes, real signals.
/// </summary>
public sealed class EndpointFailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task UnreachableEndpointIsLeftOutAndTriedAgainLater()
    {
        // Bound but not listening: connects are refused until it listens.
        var standby = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        standby.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var standbyEndpoint = (IPEndPoint)standby.LocalEndPoint!;
        await using var server = TestServer.Start("Sockets");
        using var log = new ClientLogCapture();
        var options = ClientHosts.Options(standbyEndpoint, server.EndPoint);
        options.Selection = EndpointSelection.RoundRobin;
        options.EndpointDownTime = TimeSpan.FromMilliseconds(300);
        await using var client = new PluggableNetClient(options, log.Logger);

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("olleh", await client.SendStringAsync("hello"));
        }

        Assert.True(log.Log.Contains($"Cannot connect to {standbyEndpoint}"), string.Join(Environment.NewLine, log.Log.Messages()));

        RawPeer? peer = null;
        await using var _ = peer = new RawPeer(
            async (socket, _) =>
            {
                while (await peer!.ReadRequestAsync(socket) is not null)
                {
                    await RawPeer.WriteAsync(socket, "00007standby");
                }
            },
            standby);

        // Once its backoff is over the endpoint is tried again, and takes its share.
        await Wait.UntilAsync(async () => await client.SendStringAsync("hello") == "standby", TimeSpan.FromSeconds(15), "the endpoint to be tried again; log: " + string.Join(Environment.NewLine, log.Log.Messages()));
        Assert.True(log.Log.Contains($"Endpoint {standbyEndpoint} is reachable again"));
    }

    [LinuxFact]
    public async Task HostKilledMidRunCostsRetryingClientsNothingAndPlainClientsOnlyTheRequestsInFlight()
    {
        await using var doomed = await RunningHost.StartAsync("Epoll", []);
        await using var survivor = await RunningHost.StartAsync("Epoll", []);
        using var log = new ClientLogCapture();
        var retrying = Options(doomed, survivor, idempotent: true);
        var plain = Options(doomed, survivor, idempotent: false);
        await using var retryingClient = new PluggableNetClient(retrying, log.Logger);
        await using var plainClient = new PluggableNetClient(plain);
        using var stop = new CancellationTokenSource();
        var retryingLoad = new Load(retryingClient, callers: 8, stop.Token);
        var plainLoad = new Load(plainClient, callers: 8, stop.Token);

        await Wait.UntilAsync(() => retryingLoad.Answered > 2000 && plainLoad.Answered > 2000, TimeSpan.FromSeconds(30), "load on both hosts");
        doomed.Process.Kill();
        var (retryingAtKill, plainAtKill) = (retryingLoad.Answered, plainLoad.Answered);
        await Wait.UntilAsync(() => retryingLoad.Answered > retryingAtKill + 2000 && plainLoad.Answered > plainAtKill + 2000, TimeSpan.FromSeconds(30), "load to go on with the survivor");
        await stop.CancelAsync();
        await Task.WhenAll(retryingLoad.Completion, plainLoad.Completion).WaitAsync(TimeSpan.FromSeconds(30));

        output.WriteLine($"retrying client: {retryingLoad.Answered} answered, {retryingLoad.Failures.Count} failed, {retryingClient.Counters}");
        output.WriteLine($"plain client: {plainLoad.Answered} answered, {plainLoad.Failures.Count} failed, {plainClient.Counters}");
        Assert.Empty(retryingLoad.Failures);

        // At most one request in flight per caller when the host died, each failing with the clear exception.
        Assert.True(plainLoad.Failures.Count <= 8, $"{plainLoad.Failures.Count} failures: {string.Join("; ", plainLoad.Failures.Select(f => f.Message))}");
        Assert.All(plainLoad.Failures, f => Assert.True(f is PluggableNetConnectionException { MayHaveBeenProcessed: true }, f.ToString()));
        Assert.True(log.Log.Contains("left out for"), "the dead host was marked down: " + string.Join(Environment.NewLine, log.Log.Messages()));
    }

    [LinuxFact]
    public async Task HostStoppedWithSigtermWhileRequestsArePipelinedFailsNone()
    {
        await using var draining = await RunningHost.StartAsync("Epoll", ["--Server:DrainTimeout=10"]);
        await using var staying = await RunningHost.StartAsync("Epoll", []);
        using var log = new ClientLogCapture();
        await using var client = new PluggableNetClient(Options(draining, staying, idempotent: false), log.Logger);
        using var stop = new CancellationTokenSource();
        var load = new Load(client, callers: 16, stop.Token);

        await Wait.UntilAsync(() => load.Answered > 3000, TimeSpan.FromSeconds(30), "load on both hosts");
        await draining.SignalAsync(RunningHost.Sigterm);
        var exit = await draining.Process.WaitAsync(TimeSpan.FromSeconds(20));
        var atExit = load.Answered;
        await Wait.UntilAsync(() => load.Answered > atExit + 3000, TimeSpan.FromSeconds(30), "load to go on with the other host");
        await stop.CancelAsync();
        await load.Completion.WaitAsync(TimeSpan.FromSeconds(30));

        output.WriteLine($"{load.Answered} answered, {load.Failures.Count} failed, {client.Counters}; host: {exit.All.Split('\n').LastOrDefault(l => l.Contains("Stopped", StringComparison.Ordinal))}");
        Assert.Equal(0, exit.ExitCode);
        Assert.Contains("0 cut at the deadline", exit.All, StringComparison.Ordinal);
        Assert.Empty(load.Failures);
    }

    private static PluggableNetClientOptions Options(RunningHost first, RunningHost second, bool idempotent)
    {
        var options = ClientHosts.Options(first.EndPoint, second.EndPoint);
        options.Idempotent = idempotent;
        options.ConnectionsPerEndpoint = 2;
        return options;
    }

    /// <summary>Callers sending in a loop until stopped, every answer checked, failures kept.</summary>
    private sealed class Load
    {
        private int _answered;

        public Load(PluggableNetClient client, int callers, CancellationToken stop) =>
            Completion = Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var request = $"caller-{caller}-{i}";
                    try
                    {
                        var answer = await client.SendStringAsync(request);
                        if (answer != ClientHosts.Reverse(request))
                        {
                            Failures.Enqueue(new InvalidDataException($"'{request}' answered '{answer}'"));
                        }

                        Interlocked.Increment(ref _answered);
                    }
                    catch (Exception exception) when (exception is IOException or TimeoutException)
                    {
                        Failures.Enqueue(exception);
                    }
                }
            })));

        public int Answered => Volatile.Read(ref _answered);

        public ConcurrentQueue<Exception> Failures { get; } = new();

        public Task Completion { get; }
    }
}
