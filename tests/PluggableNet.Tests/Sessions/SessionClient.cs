using System.Net;
using PluggableNet.Protocol.V2;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Sessions;

/// <summary>
/// A client of <see cref="RoomPlugin"/> on either protocol: one answer per request, pushes (<c>msg …</c>, <c>tick</c>)
/// set aside as they arrive among the answers (on v1 they are plain frames of the stream; on v2 PUSH frames).
/// </summary>
internal sealed class SessionClient : IAsyncDisposable
{
    private readonly FrameClient? _v1;
    private readonly V2Connection? _v2;
    private readonly Queue<string> _pushes = new();
    private uint _nextId;

    private SessionClient(FrameClient? v1, V2Connection? v2)
    {
        _v1 = v1;
        _v2 = v2;
    }

    public System.Net.Sockets.Socket Socket => _v1?.Socket ?? _v2!.Socket;

    public static async Task<SessionClient> ConnectAsync(IPEndPoint endPoint, string protocol) =>
        protocol == "v2" ? new SessionClient(null, await V2Connection.OpenAsync(endPoint)) : new SessionClient(FrameClient.Connect(endPoint), null);

    public static bool IsPush(string frame) => frame.StartsWith("msg ", StringComparison.Ordinal) || frame == "tick";

    /// <summary>Sends <paramref name="request"/> and returns its answer; pushes read meanwhile are kept for <see cref="NextPushAsync"/>.</summary>
    public async Task<string> AskAsync(string request, TimeSpan? timeout = null)
    {
        if (_v2 is not null)
        {
            var id = ++_nextId;
            await _v2.RequestAsync(id, request);
            while (true)
            {
                var frame = await _v2.ReadFrameAsync(timeout ?? TimeSpan.FromSeconds(10));
                switch (frame.Type)
                {
                    case FrameType.Push:
                        _pushes.Enqueue(System.Text.Encoding.UTF8.GetString(frame.Payload));
                        continue;
                    case FrameType.Answer when frame.Id == id:
                        return System.Text.Encoding.UTF8.GetString(frame.Payload);
                    case FrameType.Ping:
                        await _v2.SendAsync(FrameType.Pong, 0, frame.Payload);
                        continue;
                    case FrameType.Pong:
                        continue;
                    default:
                        throw new InvalidOperationException($"expected the answer to {id}, got {frame.Type} {frame.Id}: {System.Text.Encoding.UTF8.GetString(frame.Payload)}");
                }
            }
        }

        await _v1!.SendAsync(request);
        while (true)
        {
            var text = await _v1.ReadStringAsync(timeout ?? TimeSpan.FromSeconds(10));
            if (!IsPush(text))
            {
                return text;
            }

            _pushes.Enqueue(text);
        }
    }

    /// <summary>The next push: one set aside, or the next one read.</summary>
    public async Task<string> NextPushAsync(TimeSpan? timeout = null)
    {
        if (_pushes.TryDequeue(out var kept))
        {
            return kept;
        }

        if (_v2 is not null)
        {
            while (true)
            {
                var frame = await _v2.ReadFrameAsync(timeout ?? TimeSpan.FromSeconds(10));
                if (frame.Type == FrameType.Push)
                {
                    return System.Text.Encoding.UTF8.GetString(frame.Payload);
                }

                if (frame.Type == FrameType.Ping)
                {
                    // A listener that only reads pushes still answers the host's heartbeat.
                    await _v2.SendAsync(FrameType.Pong, 0, frame.Payload);
                }
                else if (frame.Type != FrameType.Pong)
                {
                    throw new InvalidOperationException($"expected a PUSH, got {frame.Type} {frame.Id}");
                }
            }
        }

        var text = await _v1!.ReadStringAsync(timeout ?? TimeSpan.FromSeconds(10));
        return IsPush(text) ? text : throw new InvalidOperationException($"expected a push, got '{text}'");
    }

    /// <summary>Pushes set aside so far and dropped from the queue.</summary>
    public List<string> TakeKeptPushes()
    {
        var kept = _pushes.ToList();
        _pushes.Clear();
        return kept;
    }

    /// <summary>v2: reads until GOAWAY and returns its text; v1: waits for the close. Null if neither came.</summary>
    public async Task<string?> ReadGoAwayOrCloseAsync(TimeSpan timeout)
    {
        if (_v2 is not null)
        {
            var (frame, _) = await _v2.ReadUntilAsync(FrameType.GoAway, timeout);
            return GoAwayPayload.TryRead(frame.Payload, out var goAway) ? goAway.Text : "(unreadable GOAWAY)";
        }

        return await _v1!.WaitForCloseAsync(timeout) ? "closed" : null;
    }

    public ValueTask DisposeAsync()
    {
        _v1?.Dispose();
        _v2?.Dispose();
        return ValueTask.CompletedTask;
    }
}
