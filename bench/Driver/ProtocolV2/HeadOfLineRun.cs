using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PluggableNet.LoadGen;
using PluggableNet.Protocol.V2;

namespace PluggableNet.Bench.Driver.ProtocolV2;

/// <summary>What one head-of-line run measured: the fast answers' latencies, the slow ones', and any error.</summary>
internal sealed record HeadOfLineResult
{
    public required string Protocol { get; init; }

    public required bool WithSlow { get; init; }

    public required int Round { get; init; }

    public required long FastAnswers { get; init; }

    public required double FastP50Us { get; init; }

    public required double FastP99Us { get; init; }

    public required double FastMaxUs { get; init; }

    public required long SlowAnswers { get; init; }

    public required double SlowP50Us { get; init; }

    public required long Errors { get; init; }

    /// <summary>
    /// Requests sent more than 2 ms after they were due (held back at v2's MaxConcurrentRequests, or the sender not
    /// scheduled in time): timed from when they were due, so the wait is counted, not omitted.
    /// </summary>
    public long LateSends { get; init; }

    public string? FirstError { get; init; }
}

/// <summary>
/// One connection, an open-loop stream of fast requests at a fixed rate (each sent on schedule whatever the answers
/// do, so a stalled answer cannot slow the stream and hide its own cost), every <c>slowEvery</c>-th of them replaced
/// by a slow one (the Probe plugin, offloaded, waits 100 ms for a payload starting with <c>slow</c>). On v1 answers
/// come in request order, so the fast requests behind a slow one wait for it; on v2 offloaded answers come as they
/// complete. Every answer is verified (the reversed payload, which carries the request's sequence number); latency is
/// from the request's send to its answer, the first <c>warmup</c> of the stream not recorded.
/// </summary>
internal sealed class HeadOfLineRun
{
    private const int PayloadBytes = 64;

    private readonly WireVersion _protocol;
    private readonly int _port;
    private readonly double _rate;
    private readonly int _slowEvery;
    private readonly TimeSpan _duration;
    private readonly TimeSpan _warmup;
    private readonly object _errorLock = new();
    private long[] _sentAt = [];
    private long _recordFrom;
    private long _errors;
    private int _answered;
    private long _lateSends;
    private string? _firstError;

    /// <summary>A run of <paramref name="duration"/> after <paramref name="warmup"/>, <paramref name="rate"/> requests per second; every <paramref name="slowEvery"/>-th slow (0: none).</summary>
    public HeadOfLineRun(WireVersion protocol, int port, double rate, int slowEvery, TimeSpan duration, TimeSpan warmup)
    {
        _protocol = protocol;
        _port = port;
        _rate = rate;
        _slowEvery = slowEvery;
        _duration = duration;
        _warmup = warmup;
    }

    public async Task<HeadOfLineResult> RunAsync(int round, CancellationToken cancellationToken)
    {
        var total = (int)Math.Ceiling((_duration + _warmup).TotalSeconds * _rate) + 1;
        _sentAt = new long[total];
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _port), cancellationToken).ConfigureAwait(false);
        // v2 caps the requests in flight (SETTINGS MaxConcurrentRequests; one more is answered OVERLOADED): the sender
        // holds back at the cap, and a request held back is timed from when it was due, so the wait is not hidden.
        var limit = int.MaxValue;
        if (_protocol == WireVersion.V2)
        {
            var settings = await V2Handshake.RunAsync(socket, cancellationToken).ConfigureAwait(false);
            limit = (int)Math.Min(int.MaxValue, settings.MaxConcurrentRequests);
        }

        var fast = new List<long>(total);
        var slow = new List<long>();
        var sentCount = 0;
        var receiver = new Thread(() => Receive(socket, () => Volatile.Read(ref sentCount), fast, slow)) { IsBackground = true, Name = "hol-receive" };
        var started = Stopwatch.GetTimestamp();
        _recordFrom = started + (long)(_warmup.TotalSeconds * Stopwatch.Frequency);
        receiver.Start();

        // The sender: on schedule, whatever the answers do.
        var frame = new byte[FrameLength];
        var batch = new List<byte>(64 * FrameLength);
        var end = started + (long)((_duration + _warmup).TotalSeconds * Stopwatch.Frequency);
        try
        {
            while (Stopwatch.GetTimestamp() < end && !cancellationToken.IsCancellationRequested)
            {
                var scheduled = Math.Min(total, (int)(Stopwatch.GetElapsedTime(started).TotalSeconds * _rate) + 1);
                var due = (int)Math.Min(scheduled, (long)Volatile.Read(ref _answered) + limit);

                batch.Clear();
                for (var seq = sentCount; seq < due; seq++)
                {
                    WriteRequest(frame, seq);
                    batch.AddRange(frame);
                }

                if (batch.Count > 0)
                {
                    var now = Stopwatch.GetTimestamp();
                    var late = (long)(0.002 * Stopwatch.Frequency);
                    for (var seq = sentCount; seq < due; seq++)
                    {
                        var dueAt = started + (long)(seq / _rate * Stopwatch.Frequency);
                        _sentAt[seq] = now - dueAt > late ? dueAt : now;
                        _lateSends += now - dueAt > late ? 1 : 0;
                    }

                    Volatile.Write(ref sentCount, due);
                    socket.Send(batch.ToArray());
                }

                Thread.Sleep(1);
            }
        }
        catch (SocketException ex)
        {
            Error($"send: {ex.SocketErrorCode}");
        }

        // Every answer within a few seconds (the slow ones take 100 ms), then the connection ends.
        var waitUntil = Stopwatch.GetTimestamp() + (5 * Stopwatch.Frequency);
        while (Volatile.Read(ref _answered) < sentCount && receiver.IsAlive && Stopwatch.GetTimestamp() < waitUntil)
        {
            await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
        }

        if (sentCount == 0 || fast.Count == 0)
        {
            Error($"nothing measured: {sentCount} requests sent, {fast.Count} fast answers recorded");
        }

        if (Volatile.Read(ref _answered) < sentCount)
        {
            Error($"{sentCount - Volatile.Read(ref _answered)} of {sentCount} requests not answered within 5 s of the last send");
        }

        socket.Dispose();
        receiver.Join(TimeSpan.FromSeconds(2));
        return new HeadOfLineResult
        {
            Protocol = _protocol == WireVersion.V2 ? "v2" : "v1",
            WithSlow = _slowEvery > 0,
            Round = round,
            FastAnswers = fast.Count,
            FastP50Us = Percentile(fast, 50),
            FastP99Us = Percentile(fast, 99),
            FastMaxUs = fast.Count == 0 ? 0 : fast.Max() / 1000.0,
            SlowAnswers = slow.Count,
            SlowP50Us = Percentile(slow, 50),
            Errors = Interlocked.Read(ref _errors),
            LateSends = _lateSends,
            FirstError = _firstError,
        };
    }

    private int HeaderLength => _protocol == WireVersion.V2 ? FrameHeader.Size : 5;

    private int FrameLength => HeaderLength + PayloadBytes;

    private bool IsSlow(int seq) => _slowEvery > 0 && seq % _slowEvery == _slowEvery / 2;

    /// <summary><c>slow-0000000042-</c> or <c>fast-0000000042-</c>, then letters to 64 bytes.</summary>
    private void WritePayload(Span<byte> payload, int seq)
    {
        var prefix = string.Create(CultureInfo.InvariantCulture, $"{(IsSlow(seq) ? "slow" : "fast")}-{seq:D10}-");
        Encoding.ASCII.GetBytes(prefix, payload);
        for (var i = prefix.Length; i < payload.Length; i++)
        {
            payload[i] = (byte)('a' + ((i * 7) + (seq * 13)) % 26);
        }
    }

    private void WriteRequest(Span<byte> frame, int seq)
    {
        if (_protocol == WireVersion.V2)
        {
            new FrameHeader(PayloadBytes, FrameType.Request, 0, (uint)seq + 1).Write(frame);
        }
        else
        {
            FrameFormat.Default.WriteHeader(frame, PayloadBytes);
        }

        WritePayload(frame[HeaderLength..], seq);
    }

    private void Receive(Socket socket, Func<int> sent, List<long> fast, List<long> slow)
    {
        var buffer = new byte[64 * 1024];
        var expected = new byte[PayloadBytes];
        var have = 0;
        var nextInOrder = 0;
        var answered = new HashSet<int>();
        try
        {
            while (true)
            {
                var read = socket.Receive(buffer.AsSpan(have));
                if (read == 0)
                {
                    return;
                }

                have += read;
                var at = 0;
                while (have - at >= FrameLength)
                {
                    var frame = buffer.AsSpan(at, FrameLength);
                    int seq;
                    if (_protocol == WireVersion.V2)
                    {
                        FrameHeader.TryRead(frame, out var header);
                        if (header.Type != FrameType.Answer || header.Length != PayloadBytes)
                        {
                            Error($"frame {header.Type} of {header.Length} B for id {header.Id}");
                            return;
                        }

                        seq = (int)header.Id - 1;
                    }
                    else
                    {
                        if (!frame[..5].SequenceEqual("00064"u8))
                        {
                            Error("a v1 header other than 00064");
                            return;
                        }

                        seq = nextInOrder++;
                    }

                    if (seq < 0 || seq >= sent() || !answered.Add(seq))
                    {
                        Error($"an answer for request {seq}, never sent or already answered");
                        return;
                    }

                    var now = Stopwatch.GetTimestamp();
                    WritePayload(expected, seq);
                    expected.AsSpan().Reverse();
                    if (!frame[HeaderLength..].SequenceEqual(expected))
                    {
                        Error($"wrong answer bytes for request {seq}");
                        return;
                    }

                    if (_sentAt[seq] >= _recordFrom)
                    {
                        var nanoseconds = (long)Stopwatch.GetElapsedTime(_sentAt[seq], now).TotalNanoseconds;
                        (IsSlow(seq) ? slow : fast).Add(nanoseconds);
                    }

                    at += FrameLength;
                    Interlocked.Increment(ref _answered);
                }

                buffer.AsSpan(at, have - at).CopyTo(buffer);
                have -= at;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Closed by the sender once every answer came, or after its deadline.
        }
    }

    private void Error(string message)
    {
        Interlocked.Increment(ref _errors);
        lock (_errorLock)
        {
            _firstError ??= message;
        }
    }

    private static double Percentile(List<long> values, double percentile)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)] / 1000.0;
    }
}
