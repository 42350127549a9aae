using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PluggableNet.Protocol.V2;

namespace PluggableNet.Bench.Driver.ProtocolV2;

/// <summary>Counts of one drain client over its whole life (both hosts).</summary>
internal sealed class DrainCounts
{
    public long Sent;
    public long Resent;
    public long Answered;
    public long ShuttingDown;
    public long AboveLastId;
    public long GoAways;
    public long Reconnects;
    public long OtherErrors;
    public long WrongAnswers;
    public long AnsweredTwice;
    public long PromisedButUnanswered;
    public long ClosedWithoutGoAway;
    public long Unanswered;
}

/// <summary>
/// One v2 connection of the drain benchmark, in a closed loop of <c>depth</c> requests in flight, each carrying a token
/// unique in the run. It follows docs/protocol.md ("Version 2") as a client must: an ERROR <c>SHUTTING_DOWN</c> means not
/// processed, so its token is resent; on GOAWAY(lastId) it sends nothing more on this connection, takes the answers
/// of ids at or below lastId as they come, and once the connection ends resends exactly the tokens of ids above
/// lastId, on a new connection to the other host. Tokens are only ever resent for those two reasons, so a token the
/// hosts' ledgers hold twice is a request processed twice.
/// </summary>
internal sealed class DrainClient
{
    private const int PayloadBytes = 32;

    private readonly int _depth;
    private readonly DrainCounts _counts;
    private readonly Func<long> _nextToken;
    private readonly Queue<long> _resend = new();
    private readonly HashSet<long> _answered = [];
    private readonly Dictionary<uint, long> _pending = [];
    private uint _nextId;

    public DrainClient(int depth, DrainCounts counts, Func<long> nextToken)
    {
        _depth = depth;
        _counts = counts;
        _nextToken = nextToken;
    }

    /// <summary>Tokens this client saw answered (exactly once each).</summary>
    public IReadOnlyCollection<long> Answered => _answered;

    /// <summary>The token's payload: <c>tok:</c>, the token in 28 digits.</summary>
    public static byte[] Payload(long token) => Encoding.ASCII.GetBytes($"tok:{token:D28}");

    public static long? TokenOf(string line) => line.StartsWith("tok:", StringComparison.Ordinal) && long.TryParse(line.AsSpan(4), out var token) ? token : null;

    /// <summary>
    /// Runs against <paramref name="ports"/> in turn: on the first host until it drains this connection, then on the
    /// next; on the last one until <paramref name="stop"/>, then waits for what is in flight and closes.
    /// </summary>
    public async Task RunAsync(IReadOnlyList<int> ports, CancellationToken stop)
    {
        for (var host = 0; host < ports.Count; host++)
        {
            var drained = await RunOnAsync(ports[host], lastHost: host == ports.Count - 1, stop).ConfigureAwait(false);
            if (!drained)
            {
                break;
            }

            if (host < ports.Count - 1)
            {
                Interlocked.Increment(ref _counts.Reconnects);
            }
        }

        Interlocked.Add(ref _counts.Unanswered, _pending.Count + _resend.Count);
    }

    /// <summary>True when the host drained the connection (GOAWAY, then its end), false when this client stopped.</summary>
    private async Task<bool> RunOnAsync(int port, bool lastHost, CancellationToken stop)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), CancellationToken.None).ConfigureAwait(false);
        await V2Handshake.RunAsync(socket, CancellationToken.None).ConfigureAwait(false);
        _nextId = 1;
        _pending.Clear();
        var buffer = new byte[256 * 1024];
        var have = 0;
        uint? lastId = null;
        var send = new List<byte>();
        while (true)
        {
            var stopping = stop.IsCancellationRequested && lastHost;
            if (lastId is null && !stopping)
            {
                send.Clear();
                while (_pending.Count < _depth)
                {
                    var resent = _resend.Count > 0;
                    var token = resent ? _resend.Dequeue() : _nextToken();
                    var id = _nextId++;
                    _pending[id] = token;
                    var header = new byte[FrameHeader.Size];
                    new FrameHeader(PayloadBytes, FrameType.Request, 0, id).Write(header);
                    send.AddRange(header);
                    send.AddRange(Payload(token));
                    Interlocked.Increment(ref resent ? ref _counts.Resent : ref _counts.Sent);
                }

                if (send.Count > 0)
                {
                    try
                    {
                        await socket.SendAsync(send.ToArray(), SocketFlags.None, CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (SocketException)
                    {
                        // The host closed; what was written is settled by the frames read below (GOAWAY or not).
                    }
                }
            }
            else if (stopping && _pending.Count == 0)
            {
                return false;
            }

            int read;
            try
            {
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                read = await socket.ReceiveAsync(buffer.AsMemory(have), SocketFlags.None, wait.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                read = 0;
            }

            if (read == 0)
            {
                Settle(lastId);
                return lastId is not null;
            }

            have += read;
            var at = 0;
            while (have - at >= FrameHeader.Size)
            {
                FrameHeader.TryRead(buffer.AsSpan(at), out var header);
                if (have - at < FrameHeader.Size + header.Length)
                {
                    break;
                }

                var payload = buffer.AsSpan(at + FrameHeader.Size, (int)header.Length);
                at += FrameHeader.Size + (int)header.Length;
                switch (header.Type)
                {
                    case FrameType.Answer when _pending.Remove(header.Id, out var token):
                        var expected = Payload(token);
                        expected.AsSpan().Reverse();
                        if (!payload.SequenceEqual(expected))
                        {
                            Interlocked.Increment(ref _counts.WrongAnswers);
                        }
                        else if (!_answered.Add(token))
                        {
                            Interlocked.Increment(ref _counts.AnsweredTwice);
                        }
                        else
                        {
                            Interlocked.Increment(ref _counts.Answered);
                        }

                        break;
                    case FrameType.Error when _pending.Remove(header.Id, out var token) && ErrorPayload.TryRead(payload, out var error):
                        if (error.Code == ErrorCode.ShuttingDown)
                        {
                            // Not processed: resent on the next connection.
                            Interlocked.Increment(ref _counts.ShuttingDown);
                            _resend.Enqueue(token);
                        }
                        else
                        {
                            Interlocked.Increment(ref _counts.OtherErrors);
                        }

                        break;
                    case FrameType.GoAway when GoAwayPayload.TryRead(payload, out var goAway):
                        Interlocked.Increment(ref _counts.GoAways);
                        lastId = goAway.LastId;
                        break;
                    default:
                        Interlocked.Increment(ref _counts.WrongAnswers);
                        break;
                }
            }

            buffer.AsSpan(at, have - at).CopyTo(buffer);
            have -= at;
        }
    }

    /// <summary>The connection ended: what is still pending is settled by the GOAWAY's lastId.</summary>
    private void Settle(uint? lastId)
    {
        if (lastId is null)
        {
            // Closed without GOAWAY: the outcome of what was in flight is unknown. Counted, and not resent.
            Interlocked.Increment(ref _counts.ClosedWithoutGoAway);
            Interlocked.Add(ref _counts.Unanswered, _pending.Count);
            _pending.Clear();
            return;
        }

        foreach (var (id, token) in _pending.OrderBy(p => p.Key))
        {
            if (id > lastId)
            {
                Interlocked.Increment(ref _counts.AboveLastId);
                _resend.Enqueue(token);
            }
            else
            {
                // GOAWAY promised an answer for it; none came.
                Interlocked.Increment(ref _counts.PromisedButUnanswered);
            }
        }

        _pending.Clear();
    }
}
