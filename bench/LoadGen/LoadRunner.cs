using System.Diagnostics;
using System.Net;
using HdrHistogram;

namespace PluggableNet.LoadGen;

/// <summary>
/// Runs one load test: connects, warms up, measures for the configured duration, tears down and
/// summarizes. Usable in-process (tests, the bench driver) as well as from the command line.
/// </summary>
public sealed class LoadRunner
{
    private readonly LoadOptions _options;
    private readonly RunState _state = new();
    private ClientConnection[] _connections = [];
    private long _connectErrors;

    /// <summary>Creates a runner; the options are validated here.</summary>
    public LoadRunner(LoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <summary>Answers verified so far by all connections (warm-up included). Safe to read from any thread.</summary>
    public long CompletedRequests
    {
        get
        {
            long total = 0;
            foreach (var connection in Volatile.Read(ref _connections))
            {
                total += connection.Completed;
            }

            return total;
        }
    }

    /// <summary>Errors counted so far. Safe to read from any thread.</summary>
    public long Errors
    {
        get
        {
            var total = Interlocked.Read(ref _connectErrors);
            foreach (var connection in Volatile.Read(ref _connections))
            {
                total += connection.WrongAnswers + connection.UnexpectedCloses;
            }

            return total;
        }
    }

    /// <summary>Runs the test once. Cancelling ends the measured window early; the result is still returned.</summary>
    public async Task<LoadResult> RunAsync(ILoadObserver? observer = null, CancellationToken cancellationToken = default)
    {
        var endPoint = await ResolveAsync(_options.Address, _options.Port, cancellationToken).ConfigureAwait(false);
        var connections = new ClientConnection[_options.Connections];
        for (var i = 0; i < connections.Length; i++)
        {
            connections[i] = new ClientConnection(_options, _state, i);
        }

        Volatile.Write(ref _connections, connections);
        var loops = new List<Task>(connections.Length);
        try
        {
            var connected = await Task.WhenAll(connections.Select(c => c.ConnectAsync(endPoint, _options.ConnectTimeout))).ConfigureAwait(false);
            for (var i = 0; i < connections.Length; i++)
            {
                if (!connected[i])
                {
                    Interlocked.Increment(ref _connectErrors);
                    continue;
                }

                var connection = connections[i];

                // Each loop starts on the thread pool so the caller's context never serializes the connections.
                loops.Add(Task.Run(connection.RunAsync, CancellationToken.None));
            }

            var allEnded = loops.Count == 0 ? Task.CompletedTask : Task.WhenAll(loops);
            await WaitAsync(_options.Warmup, allEnded, cancellationToken).ConfigureAwait(false);

            observer?.OnMeasurementStarting();
            var startCount = CompletedRequests;
            var allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
            var cpuAtStart = Environment.CpuUsage.TotalTime;
            var startedAt = Stopwatch.GetTimestamp();
            _state.Recording = true;

            await WaitAsync(_options.Duration, allEnded, cancellationToken).ConfigureAwait(false);

            _state.Recording = false;
            var elapsed = Stopwatch.GetElapsedTime(startedAt);
            var endCount = CompletedRequests;
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedAtStart;
            var cpu = (Environment.CpuUsage.TotalTime - cpuAtStart).TotalSeconds;
            observer?.OnMeasurementEnded();

            return Summarize(connections, endCount - startCount, endCount, elapsed, allocated) with { ClientCpuSeconds = Math.Round(cpu, 6) };
        }
        finally
        {
            _state.Stopping = true;
            foreach (var connection in connections)
            {
                connection.Dispose();
            }

            // Loops end promptly once their sockets are closed; never let a stuck one hang the caller.
            await Task.WhenAny(Task.WhenAll(loops), Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None)).ConfigureAwait(false);
        }
    }

    private static async Task WaitAsync(TimeSpan delay, Task allEnded, CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        // Ends early when every connection has failed: nothing is left to measure.
        try
        {
            await Task.WhenAny(Task.Delay(delay, cancellationToken), allEnded).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task<IPEndPoint> ResolveAsync(string address, int port, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(address, out var ip))
        {
            return new IPEndPoint(ip, port);
        }

        var addresses = await Dns.GetHostAddressesAsync(address, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new ArgumentException($"'{address}' does not resolve.", nameof(address));
        }

        return new IPEndPoint(addresses[0], port);
    }

    private LoadResult Summarize(ClientConnection[] connections, long measured, long total, TimeSpan elapsed, long allocated)
    {
        var merged = LatencyHistogram.Create();
        long wrong = 0;
        long closes = 0;
        foreach (var connection in connections)
        {
            merged.Add(connection.Histogram);
            wrong += connection.WrongAnswers;
            closes += connection.UnexpectedCloses;
        }

        var seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        return new LoadResult
        {
            Address = _options.Address,
            Port = _options.Port,
            Connections = _options.Connections,
            Depth = _options.Depth,
            PayloadBytes = _options.PayloadBytes,
            Framing = _options.Protocol == WireVersion.V2 ? "v2" : _options.Framing.ToString(),
            Protocol = _options.Protocol == WireVersion.V2 ? "v2" : "v1",
            Logic = _options.Logic.ToString().ToLowerInvariant(),
            MeasuredSeconds = Math.Round(seconds, 3),
            Requests = measured,
            TotalRequests = total,
            RequestsPerSecond = Math.Round(measured / seconds, 1),
            P50Us = LatencyHistogram.PercentileUs(merged, 50),
            P99Us = LatencyHistogram.PercentileUs(merged, 99),
            P999Us = LatencyHistogram.PercentileUs(merged, 99.9),
            MaxUs = merged.TotalCount == 0 ? 0 : merged.GetMaxValue() / 1000.0,
            MeanUs = merged.TotalCount == 0 ? 0 : Math.Round(merged.GetMean() / 1000.0, 1),
            WrongAnswers = wrong,
            UnexpectedCloses = closes,
            ConnectErrors = Interlocked.Read(ref _connectErrors),
            ClientAllocatedBytesPerRequest = measured > 0 ? Math.Round(allocated / (double)measured, 2) : 0,
        };
    }
}
