using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// Continuous pipelined load from raw sockets that behaves as a well-written client of a draining server does:
/// a graceful close (EOF at a frame boundary) is not a failure, the requests it left unanswered are resent on a
/// new connection. Everything else is counted as what it is: a refused connect, a reset or an EOF inside a frame
/// (the requests then in flight failed), a wrong answer. Each connection sends <c>depth</c> requests, reads their
/// answers, and repeats; every answer is checked against <c>expected</c>.
/// </summary>
internal sealed class ReconnectingLoad : IAsyncDisposable
{
    private static readonly TimeSpan s_readTimeout = TimeSpan.FromSeconds(15);
    private readonly IPEndPoint _endPoint;
    private readonly Func<string, string, bool> _accepts;
    private readonly int _depth;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _connections;
    private long _answered;
    private long _refused;
    private long _failed;
    private long _wrong;
    private long _gracefulCloses;
    private long _resent;
    private long _longestGapMs;
    private long _longestGapEndedUnixMs;

    private ReconnectingLoad(IPEndPoint endPoint, int connections, int depth, Func<string, string, bool> accepts)
    {
        _endPoint = endPoint;
        _depth = depth;
        _accepts = accepts;

        // The load measures the server's pauses, so it must not make its own: a pool thread blocked elsewhere in the
        // test process (a child process's start, a synchronous wait) would otherwise hold these continuations until
        // the pool injects a thread (~0.5 s), a pause the server never caused.
        ThreadPool.GetMinThreads(out var workers, out var completions);
        ThreadPool.SetMinThreads(Math.Max(workers, 2 * connections + 8), completions);
        _connections = Enumerable.Range(0, connections).Select(i => Task.Run(() => RunAsync(i))).ToArray();
    }

    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>Connects refused by the kernel (nothing listening).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Requests lost: in flight on a connection that was reset or closed inside a frame.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    public long Wrong => Interlocked.Read(ref _wrong);

    /// <summary>Connections the server closed at a frame boundary.</summary>
    public long GracefulCloses => Interlocked.Read(ref _gracefulCloses);

    /// <summary>Requests sent again after a graceful close left them unanswered.</summary>
    public long Resent => Interlocked.Read(ref _resent);

    /// <summary>The longest a connection waited between two answers (a restart's pause, as one client sees it).</summary>
    public long LongestGapMs => Interlocked.Read(ref _longestGapMs);

    public string Errors { get; private set; } = string.Empty;

    /// <summary>When (Unix ms, wall clock: comparable with the hosts' logs) the longest gap so far ended.</summary>
    public long LongestGapEndedUnixMs => Interlocked.Read(ref _longestGapEndedUnixMs);

    /// <summary>Returns <see cref="LongestGapMs"/> and starts it again from zero (the longest pause of one window).</summary>
    public long TakeLongestGapMs() => Interlocked.Exchange(ref _longestGapMs, 0);

    public static ReconnectingLoad Start(IPEndPoint endPoint, int connections, int depth, Func<string, string> expected) =>
        new(endPoint, connections, depth, (request, answer) => answer == expected(request));

    /// <summary>As <see cref="Start(IPEndPoint, int, int, Func{string, string})"/>, an answer being right when <paramref name="accepts"/> says so (request, answer).</summary>
    public static ReconnectingLoad Start(IPEndPoint endPoint, int connections, int depth, Func<string, string, bool> accepts) =>
        new(endPoint, connections, depth, accepts);

    /// <summary>Waits until <paramref name="more"/> answers beyond the current count have arrived.</summary>
    public Task AnswersGrowAsync(long more, TimeSpan? timeout = null)
    {
        var target = Answered + more;
        return Wait.UntilAsync(() => Answered >= target, timeout ?? TimeSpan.FromSeconds(30), $"{more} more answers; {this}");
    }

    /// <summary>Stops sending; each connection finishes (answers or fails) what it has in flight.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_connections).WaitAsync(TimeSpan.FromSeconds(30));
    }

    public override string ToString() =>
        $"answered {Answered}, refused {Refused}, failed {Failed}, wrong {Wrong}, graceful closes {GracefulCloses}, resent {Resent}, longest gap {LongestGapMs} ms{Errors}";

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await Task.WhenAll(_connections).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task RunAsync(int index)
    {
        var pending = new Queue<string>();
        var sequence = 0L;
        var lastAnswer = Environment.TickCount64;
        while (!_stop.IsCancellationRequested || pending.Count > 0)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(_endPoint);
            }
            catch (SocketException exception) when (exception.SocketErrorCode == SocketError.ConnectionRefused)
            {
                Interlocked.Increment(ref _refused);
                await Task.Delay(10);
                continue;
            }

            await using var stream = new NetworkStream(socket);
            try
            {
                if (!await ServeAsync(stream))
                {
                    return;
                }
            }
            catch (Exception exception) when (exception is IOException or SocketException or EndOfStreamException or OperationCanceledException)
            {
                Interlocked.Add(ref _failed, pending.Count);
                Note($"c{index}: {pending.Count} request(s) failed: {exception.GetBaseException().Message}");
                pending.Clear();
            }
        }

        // Sends and reads on one connection. True when the server closed it gracefully (reconnect), false when
        // the load is stopping and nothing is pending.
        async Task<bool> ServeAsync(NetworkStream stream)
        {
            while (true)
            {
                if (pending.Count == 0)
                {
                    if (_stop.IsCancellationRequested)
                    {
                        return false;
                    }

                    for (var i = 0; i < _depth; i++)
                    {
                        pending.Enqueue($"c{index}-{sequence++}");
                    }
                }

                // Whatever is pending goes (again) on this connection, in order.
                var batch = new MemoryStream();
                foreach (var request in pending)
                {
                    batch.Write(Frames.Encode(Encoding.ASCII.GetBytes(request), binary: false, digits: 5));
                }

                await stream.WriteAsync(batch.GetBuffer().AsMemory(0, (int)batch.Length));
                while (pending.Count > 0)
                {
                    if (await ReadAnswerAsync(stream) is not { } answer)
                    {
                        // EOF at a frame boundary: the server closed gracefully; the rest goes on a new connection.
                        Interlocked.Increment(ref _gracefulCloses);
                        Interlocked.Add(ref _resent, pending.Count);
                        return true;
                    }

                    var request = pending.Dequeue();
                    var now = Environment.TickCount64;
                    if (InterlockedMax(ref _longestGapMs, now - lastAnswer))
                    {
                        Interlocked.Exchange(ref _longestGapEndedUnixMs, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                    }

                    lastAnswer = now;
                    if (!_accepts(request, answer))
                    {
                        Interlocked.Increment(ref _wrong);
                        Note($"wrong answer to {request}: {answer}");
                    }

                    Interlocked.Increment(ref _answered);
                }
            }
        }
    }

    /// <summary>One answer; null on EOF before its first byte (a close at a frame boundary).</summary>
    private static async Task<string?> ReadAnswerAsync(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(s_readTimeout);
        var header = new byte[5];
        var read = await stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, timeout.Token);
        if (read == 0)
        {
            return null;
        }

        if (read < header.Length)
        {
            throw new EndOfStreamException("closed inside an answer header");
        }

        var payload = new byte[int.Parse(Encoding.ASCII.GetString(header), System.Globalization.CultureInfo.InvariantCulture)];
        await stream.ReadExactlyAsync(payload, timeout.Token);
        return Encoding.ASCII.GetString(payload);
    }

    private static bool InterlockedMax(ref long target, long value)
    {
        long seen;
        while (value > (seen = Interlocked.Read(ref target)))
        {
            if (Interlocked.CompareExchange(ref target, value, seen) == seen)
            {
                return true;
            }
        }

        return false;
    }

    private void Note(string error)
    {
        lock (_stop)
        {
            if (Errors.Length < 2000)
            {
                Errors += Environment.NewLine + "  " + error;
            }
        }
    }
}
