using System.Net;
using System.Net.Sockets;
using System.Text;
using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ConnectionMove;

/// <summary>
/// A client that keeps up to <see cref="Window"/> requests in flight on one persistent connection, v1 or v2, and checks
/// every answer as it comes: in order, none lost or repeated, each wholly Upper's (the old server) or Reverse's (the
/// new one), and never Upper's again once Reverse has answered.
/// </summary>
internal sealed class PipeliningClient : IAsyncDisposable
{
    private const int Window = 16;
    private readonly FrameClient? _v1;
    private readonly V2Connection? _v2;
    private readonly int _number;
    private readonly bool _oneWay;
    private readonly SemaphoreSlim _window = new(Window, Window);
    private readonly CancellationTokenSource _stop = new();
    private Task _sending = Task.CompletedTask;
    private Task _reading = Task.CompletedTask;
    private long _sent;
    private long _answered;
    private long _fromOld;
    private long _fromNew;

    private PipeliningClient(FrameClient? v1, V2Connection? v2, int number, bool oneWay)
    {
        _v1 = v1;
        _v2 = v2;
        _number = number;
        _oneWay = oneWay;
    }

    public long FromOld => Interlocked.Read(ref _fromOld);

    public long FromNew => Interlocked.Read(ref _fromNew);

    public long Answered => Interlocked.Read(ref _answered);

    /// <param name="oneWay">Whether Upper may never answer again once Reverse has (false for a move there and back).</param>
    public static async Task<PipeliningClient> StartAsync(IPEndPoint endPoint, string protocol, int number, bool oneWay = true)
    {
        var client = protocol == "v2"
            ? new PipeliningClient(null, await V2Connection.OpenAsync(endPoint), number, oneWay)
            : new PipeliningClient(FrameClient.Connect(endPoint), null, number, oneWay);
        client._sending = Task.Run(client.SendLoopAsync);
        client._reading = Task.Run(client.ReadLoopAsync);
        return client;
    }

    public static string Request(int client, long sequence) => $"m{client}x{sequence}";

    /// <summary>Until <paramref name="condition"/> holds; throws what the reader found instead if it stopped first.</summary>
    public async Task UntilAsync(Func<PipeliningClient, bool> condition, string because, TimeSpan? timeout = null)
    {
        try
        {
            await Wait.UntilAsync(() => condition(this) || _reading.IsCompleted, timeout, $"client {_number}: {because}");
        }
        catch (TimeoutException timedOut)
        {
            throw new TimeoutException($"{timedOut.Message} ({this})", timedOut);
        }

        if (!condition(this))
        {
            await _reading;
        }
    }

    /// <summary><see cref="UntilAsync"/> for every client.</summary>
    public static async Task AllUntilAsync(IEnumerable<PipeliningClient> clients, Func<PipeliningClient, bool> condition, string because, TimeSpan? timeout = null)
    {
        foreach (var client in clients)
        {
            await client.UntilAsync(condition, because, timeout);
        }
    }

    public override string ToString() => $"sent {Interlocked.Read(ref _sent)}, answered {Answered}: {FromOld} old, {FromNew} new";

    /// <summary>Stops sending, then waits for the answer to every request sent; throws whatever a check found.</summary>
    public async Task FinishAsync()
    {
        _stop.Cancel();
        await _sending;
        await Wait.UntilAsync(() => Interlocked.Read(ref _answered) == Interlocked.Read(ref _sent) || _reading.IsCompleted, because: $"client {_number}: every request answered");
        if (_reading.IsCompleted)
        {
            await _reading;
        }

        Assert.Equal(Interlocked.Read(ref _sent), Interlocked.Read(ref _answered));
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _v1?.Dispose();
        _v2?.Dispose();
        await Task.WhenAll(_sending, _reading).ContinueWith(_ => { });
    }

    private async Task SendLoopAsync()
    {
        var sequence = 0L;
        var batch = new List<byte>();
        while (!_stop.IsCancellationRequested)
        {
            // A few requests in one send, so frames cross send boundaries and a move finds some half received.
            batch.Clear();
            for (var i = 0; i < 4 && await TakeSlotAsync(); i++)
            {
                var payload = Encoding.ASCII.GetBytes(Request(_number, sequence));
                batch.AddRange(_v2 is null ? _v1!.Frame(payload) : V2Connection.Encode(FrameType.Request, (uint)sequence + 1, payload));
                sequence++;
            }

            if (batch.Count == 0)
            {
                return;
            }

            Interlocked.Exchange(ref _sent, sequence);
            var bytes = batch.ToArray();
            var half = bytes.Length / 2 + 1;
            var socket = _v1?.Socket ?? _v2!.Socket;
            await SendAllAsync(socket, bytes.AsMemory(0, half));
            await SendAllAsync(socket, bytes.AsMemory(half));
        }
    }

    private async Task<bool> TakeSlotAsync()
    {
        try
        {
            await _window.WaitAsync(_stop.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[await socket.SendAsync(bytes, SocketFlags.None)..];
        }
    }

    private async Task ReadLoopAsync()
    {
        var expected = 0L;
        while (true)
        {
            string text;
            if (_v2 is not null)
            {
                var frame = await _v2.ReadFrameAsync(TimeSpan.FromSeconds(20));
                if (frame.Type == FrameType.Ping)
                {
                    continue;
                }

                Assert.True(frame.Type == FrameType.Answer && frame.Id == expected + 1, $"client {_number}: expected the ANSWER to {expected + 1}, got {frame} {frame.Text}");
                text = frame.Text;
            }
            else
            {
                text = await _v1!.ReadStringAsync(TimeSpan.FromSeconds(20));
            }

            var request = Request(_number, expected);
            if (text == request.ToUpperInvariant())
            {
                Assert.True(!_oneWay || FromNew == 0, $"client {_number}: request {expected} answered by the old server after the new one answered");
                Interlocked.Increment(ref _fromOld);
            }
            else if (text == new string(request.Reverse().ToArray()))
            {
                Interlocked.Increment(ref _fromNew);
            }
            else
            {
                Assert.Fail($"client {_number}: request {expected} ({request}) answered '{text}'");
            }

            expected++;
            Interlocked.Increment(ref _answered);
            _window.Release();
        }
    }
}
