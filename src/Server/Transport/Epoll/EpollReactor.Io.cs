using Microsoft.Extensions.Logging;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Interop;
using PluggableNet.Server.Plugins;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>Moving bytes: receive, send, act on each connection's next step, close.</summary>
internal sealed unsafe partial class EpollReactor
{
    private const int ReadsPerWake = 4;

    // Pieces per gathered send: a connection far behind sends the rest on the next turn.
    private const int GatherSegments = 64;

    private void Dispatch(ulong token, uint events, PluginGeneration generation, long now)
    {
        if (token == ListenerToken)
        {
            Accept(now);
            return;
        }

        if (TryDispatchChannel(token))
        {
            return;
        }

        var fd = (int)(token & 0xFFFF_FFFF);
        if (token == WakeToken || (uint)fd >= (uint)_byFd.Length || _byFd[fd] is not { } connection || connection.Token != token)
        {
            return;
        }

        if (connection.LingerUntil != 0)
        {
            Linger(connection);
            return;
        }

        var machine = connection.Machine;
        try
        {
            if ((events & (Libc.EPOLLERR | Libc.EPOLLHUP)) != 0 && (machine.Step & ConnectionStep.Read) == 0)
            {
                // Nothing more can be read and the peer is gone: nobody is left to answer.
                machine.Abort(CloseReason.RemoteReset);
            }
            else
            {
                if ((events & (Libc.EPOLLIN | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
                {
                    Receive(connection, generation, now);
                }

                Flush(connection, generation, now);
            }

            Update(connection);
        }
        catch (Exception exception)
        {
            // A bug must cost one connection, never the reactor.
            machine.FailInternally($"reactor {_index}", exception);
            Close(connection);
        }
    }

    private void Receive(EpollConnection connection, PluginGeneration generation, long now)
    {
        var machine = connection.Machine;
        for (var reads = 0; reads < ReadsPerWake && (machine.Step & ConnectionStep.Read) != 0; reads++)
        {
            var buffer = machine.GetReceiveSpan();
            nint received;
            fixed (byte* pointer = buffer)
            {
                received = Libc.recv(connection.Fd, pointer, (nuint)buffer.Length, 0);
            }

            if (received > 0)
            {
                machine.OnReceived((int)received, generation, now);
                if (received < buffer.Length)
                {
                    // The socket is drained; level-triggered epoll reports any later data.
                    return;
                }

                continue;
            }

            if (received == 0)
            {
                machine.OnEndOfInput(generation, now);
                return;
            }

            var errno = Libc.LastError;
            if (SocketErrors.IsRetry(errno))
            {
                continue;
            }

            machine.OnNoData();
            if (!SocketErrors.IsWouldBlock(errno))
            {
                Fail(machine, errno);
            }

            return;
        }
    }

    /// <summary>Sends what is pending right away; EPOLLOUT is armed (by <see cref="Update"/>) only if the kernel takes less.</summary>
    private void Flush(EpollConnection connection, PluginGeneration generation, long now)
    {
        var machine = connection.Machine;
        while ((machine.Step & ConnectionStep.Write) != 0)
        {
            nint sent;
            if (machine.HasSplicedOutput)
            {
                sent = SendGathered(connection.Fd, machine);
            }
            else
            {
                var pending = machine.PendingOutput;
                fixed (byte* pointer = pending)
                {
                    sent = Libc.send(connection.Fd, pointer, (nuint)pending.Length, Libc.MSG_NOSIGNAL);
                }
            }

            if (sent > 0)
            {
                machine.OnSent((int)sent, generation, now);
                continue;
            }

            var errno = Libc.LastError;
            if (SocketErrors.IsRetry(errno))
            {
                continue;
            }

            if (!SocketErrors.IsWouldBlock(errno))
            {
                Fail(machine, errno);
            }

            return;
        }
    }

    /// <summary>
    /// The output's own bytes and the shared payloads spliced between them (pushes, see <see cref="OutputBuffer"/>),
    /// in one sendmsg; a partial send resumes where it stopped, mid-header or mid-payload, on the next call.
    /// </summary>
    private static nint SendGathered(int fd, FrameConnection machine)
    {
        Span<OutputSegment> segments = stackalloc OutputSegment[GatherSegments];
        var count = machine.GatherOutput(segments, out var inline);
        var vectors = stackalloc Libc.IoVector[count];
        fixed (byte* inlineBase = inline)
        {
            for (var i = 0; i < count; i++)
            {
                var segment = segments[i];
                vectors[i].Base = (segment.Pointer == null ? inlineBase : segment.Pointer) + segment.Offset;
                vectors[i].Length = (nuint)segment.Length;
            }

            var message = new Libc.MessageHeader { Vectors = vectors, VectorCount = (nuint)count };
            return Libc.sendmsg(fd, &message, Libc.MSG_NOSIGNAL);
        }
    }

    private void Fail(FrameConnection machine, int errno)
    {
        var reason = SocketErrors.CloseReasonFor(errno);
        if (reason == CloseReason.InternalError)
        {
            machine.FailInternally($"reactor {_index}: recv/send: {Libc.Describe(errno)}");
            return;
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            ConnectionLog.SocketError(_logger, machine.Id, machine.Peer, Libc.Describe(errno));
        }

        machine.Abort(reason);
    }

    /// <summary>Acts on the connection's next step: closes it, or registers exactly the events it now waits for.</summary>
    private void Update(EpollConnection connection)
    {
        var machine = connection.Machine;
        var step = machine.Step;
        if (step == ConnectionStep.Close)
        {
            Close(connection);
            return;
        }

        if (step == ConnectionStep.Detach)
        {
            if (TryDetach(connection))
            {
                return;
            }

            step = machine.Step;
        }

        if ((step & ConnectionStep.AwaitOffload) != 0 && machine.OffloadTask is { } task && !ReferenceEquals(connection.HookedOffload, task))
        {
            HookOffloadCompletion(connection, task);
        }

        if ((step & ConnectionStep.AwaitSlot) != 0 && !_slotWaiters.Contains(connection))
        {
            _slotWaiters.Add(connection);
            WaitForSlot();
        }

        var interest = ((step & ConnectionStep.Read) != 0 ? Libc.EPOLLIN : 0) | ((step & ConnectionStep.Write) != 0 ? Libc.EPOLLOUT : 0);
        if (interest != connection.Interest)
        {
            connection.Interest = interest;
            if (EpollEvents.Control(_epfd, Libc.EPOLL_CTL_MOD, connection.Fd, interest, connection.Token) != 0)
            {
                // Unwatched, the connection would hang until a timeout: close it now, as our failure.
                machine.FailInternally($"reactor {_index}: epoll_ctl(MOD): {Libc.Describe(Libc.LastError)}");
                Close(connection);
            }
        }
    }

    /// <summary>
    /// Closes the connection: at once, or, for a close the host chose at a frame boundary, after lingering (see
    /// <see cref="LingeringClose"/>) unless <paramref name="mayLinger"/> is false (a stop cutting what is left).
    /// </summary>
    private void Close(EpollConnection connection, bool mayLinger = true)
    {
        if (connection.Closed)
        {
            return;
        }

        connection.Closed = true;
        if (mayLinger && LingeringClose.Applies(connection.Machine.CloseReason) && StartLingering(connection))
        {
            return;
        }

        Release(connection);
    }

    /// <summary>The descriptor goes: closed, forgotten, counted.</summary>
    private void Release(EpollConnection connection)
    {
        _byFd[connection.Fd] = null;
        Libc.close(connection.Fd);
        Interlocked.Decrement(ref _connectionCount);
        _lifecycle.Closed(connection.Machine);
    }
}
