using System.Text;
using Microsoft.Extensions.Logging;
using PluggableNet.Client;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// Continuous load through the real client library: <c>callers</c> concurrent callers, each awaiting
/// <see cref="PluggableNetClient.SendAsync(ReadOnlyMemory{byte}, CancellationToken)"/> in a loop, so the client
/// pipelines them over its pooled persistent connections. Every answer is classified by <c>classify</c> (which
/// version of the logic produced it, or null for a wrong answer); every failure is kept with its exception.
/// </summary>
internal sealed class ClientLoad : IAsyncDisposable
{
    private readonly PluggableNetClient _client;
    private readonly Func<string, string, string?> _classify;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _callers;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _byVersion = [];
    private readonly List<Exception> _failures = [];
    private readonly CountingLogger _log = new();
    private long _sent;
    private long _answered;
    private long _wrong;
    private string _lastWrong = string.Empty;

    private ClientLoad(PluggableNetClientOptions options, int callers, Func<string, string, string?> classify)
    {
        _client = new PluggableNetClient(options, _log);
        _classify = classify;
        _callers = Enumerable.Range(0, callers).Select(i => Task.Run(() => CallAsync(i))).ToArray();
    }

    public long Sent => Interlocked.Read(ref _sent);

    public long Answered => Interlocked.Read(ref _answered);

    public long Wrong => Interlocked.Read(ref _wrong);

    /// <summary>Requests the client resent after a graceful close (its log, event 4).</summary>
    public long Resent => _log.Resent;

    /// <summary>Requests that were waiting on a connection that broke (its log, event 5): retried when idempotent, failed otherwise.</summary>
    public long CutInFlight => _log.CutInFlight;

    public IReadOnlyList<Exception> Failures
    {
        get
        {
            lock (_gate)
            {
                return [.. _failures];
            }
        }
    }

    public IReadOnlyDictionary<string, long> ByVersion
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, long>(_byVersion);
            }
        }
    }

    /// <summary>Starts the load against <paramref name="endPoint"/> with <paramref name="connections"/> pooled connections.</summary>
    public static ClientLoad Start(System.Net.EndPoint endPoint, int callers, Func<string, string, string?> classify, bool idempotent = false, int connections = 4)
    {
        var options = new PluggableNetClientOptions
        {
            ConnectionsPerEndpoint = connections,
            Idempotent = idempotent,
            RequestTimeout = TimeSpan.FromSeconds(20),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            // One endpoint (HAProxy): never leave it out for long.
            EndpointDownTime = TimeSpan.FromMilliseconds(50),
            MaxEndpointDownTime = TimeSpan.FromMilliseconds(200),
        };
        options.Endpoints.Add(endPoint);
        return new ClientLoad(options, callers, classify);
    }

    public Task AnswersGrowAsync(long more, TimeSpan? timeout = null)
    {
        var target = Answered + more;
        return Wait.UntilAsync(() => Answered >= target, timeout ?? TimeSpan.FromSeconds(30), $"{more} more answers; {this}");
    }

    /// <summary>Stops sending; every request already sent ends (answered or failed) within the request timeout.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_callers).WaitAsync(TimeSpan.FromSeconds(40));
    }

    public override string ToString()
    {
        var versions = string.Join(", ", ByVersion.OrderBy(v => v.Key).Select(v => $"{v.Key} {v.Value}"));
        var failures = Failures;
        var first = failures.Count > 0 ? $"; first failure: {failures[0].GetType().Name}: {failures[0].Message}" : string.Empty;
        return $"sent {Sent}, answered {Answered} ({versions}), failed {failures.Count}, wrong {Wrong}{(_lastWrong.Length > 0 ? " (" + _lastWrong + ")" : string.Empty)}, resent after graceful close {Resent}, cut in flight {CutInFlight}{first}";
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await Task.WhenAll(_callers).WaitAsync(TimeSpan.FromSeconds(40)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _client.DisposeAsync();
        _stop.Dispose();
    }

    private async Task CallAsync(int caller)
    {
        var sequence = 0L;
        while (!_stop.IsCancellationRequested)
        {
            var request = $"r{caller}-{sequence++}";
            Interlocked.Increment(ref _sent);
            try
            {
                var answer = Encoding.ASCII.GetString(await _client.SendAsync(Encoding.ASCII.GetBytes(request)));
                Interlocked.Increment(ref _answered);
                var version = _classify(request, answer);
                lock (_gate)
                {
                    if (version is null)
                    {
                        _wrong++;
                        _lastWrong = $"{request} -> {answer}";
                    }
                    else
                    {
                        _byVersion[version] = _byVersion.GetValueOrDefault(version) + 1;
                    }
                }
            }
            catch (Exception exception) when (exception is PluggableNetConnectionException or TimeoutException)
            {
                lock (_gate)
                {
                    _failures.Add(exception);
                }
            }
        }
    }

    /// <summary>Counts what the client logs about resends and cut connections.</summary>
    private sealed class CountingLogger : ILogger
    {
        private long _resent;
        private long _cutInFlight;

        public long Resent => Interlocked.Read(ref _resent);

        public long CutInFlight => Interlocked.Read(ref _cutInFlight);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id is not (4 or 5) || state is not IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                return;
            }

            var count = values.FirstOrDefault(v => v.Key == "Count").Value is int n ? n : 0;
            Interlocked.Add(ref eventId.Id == 4 ? ref _resent : ref _cutInFlight, count);
        }
    }
}
