using System.Buffers;
using PluggableNet.Server;
using PluggableNet.Server.Connections.Handover;
using PluggableNet.Server.Interop;

namespace PluggableNet.Tests.ConnectionMove;

/// <summary>
/// Moves every connection of one in-process server to another as the upgrade moves them between processes: each
/// snapshot is written out and read back, and its descriptor duplicated (as <c>SCM_RIGHTS</c> would) and the original
/// closed, so only the descriptor and the bytes cross.
/// </summary>
internal static class ConnectionMover
{
    public sealed record Outcome(int Moved, long LeftBehind, IReadOnlyList<int> BufferedBytes);

    public static async Task<Outcome> MoveAllAsync(PluggableServer from, PluggableServer to, TimeSpan deadline)
    {
        await using var batch = await from.BeginDetachAsync(deadline);
        if (batch.SharedState is { } shared)
        {
            var written = new ArrayBufferWriter<byte>();
            shared.Write(written);
            to.ImportSharedSessionState(SharedSessionState.Read(written.WrittenSpan));
        }

        var buffered = new List<int>();
        await foreach (var snapshot in batch.ReadAllAsync())
        {
            using var leaving = snapshot;
            var crossed = Cross(leaving);
            buffered.Add(crossed.Received.Length);
            to.Adopt(crossed);
        }

        return new Outcome(batch.Detached, batch.LeftBehind, buffered);
    }

    /// <summary>The snapshot as the other process would get it: its written form read back, with a duplicate of the descriptor.</summary>
    public static ConnectionSnapshot Cross(ConnectionSnapshot snapshot)
    {
        var written = new ArrayBufferWriter<byte>();
        snapshot.Write(written);
        var copy = ConnectionSnapshot.Read(written.WrittenSpan);
        var fd = Libc.fcntl((int)snapshot.Socket!.DangerousGetHandle(), Libc.F_DUPFD_CLOEXEC, 0);
        Assert.True(fd >= 0, "dup of the snapshot's descriptor failed");
        copy.Socket = new DescriptorHandle(fd);

        // Not part of the written form: between processes each runtime has an epoll of its own. In this one, a socket
        // created again on a number this connection had collides with the runtime's registration of it.
        copy.DescriptorsToAvoid = snapshot.DescriptorsToAvoid;
        return copy;
    }
}
