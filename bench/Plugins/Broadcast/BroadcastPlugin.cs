using System.Buffers;

namespace PluggableNet.Bench.Plugins.Broadcast;

/// <summary>
/// The fan-out benchmark's plugin (issue 21, "Measured"), the same behaviour as the C baseline
/// (bench/Baselines/C/broadcast.c): every session joins one room; a request whose payload starts with <c>!</c> is
/// broadcast, without the <c>!</c>, to every member (the sender included) and answered with nothing (a v1 stream sends
/// no frame for an empty answer); any other request is answered <c>ok</c>, so a client knows it is in the room.
/// Nothing is allocated per request: the room's name is a constant and the registry copies the payload once.
/// </summary>
public sealed class BroadcastPlugin : ISessionPlugin
{
    /// <summary>The one room every session joins.</summary>
    public const string Room = "all";

    private static readonly SessionOptions _sessions = new() { Pushes = true, V1StreamMode = true };

    /// <inheritdoc />
    public SessionOptions Sessions => _sessions;

    /// <inheritdoc />
    public void OnOpened(ISession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        session.Sessions.Join(session, Room);
    }

    /// <inheritdoc />
    public void Process(ISession session, ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(answer);
        if (!request.IsEmpty && request[0] == (byte)'!')
        {
            session.Sessions.Broadcast(Room, request[1..]);
            return;
        }

        "ok"u8.CopyTo(answer.GetSpan(2));
        answer.Advance(2);
    }
}
