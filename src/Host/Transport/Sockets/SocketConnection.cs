using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PluggableNet.Host.Connections;
using PluggableNet.Host.Logging;
using PluggableNet.Host.Plugins;

namespace PluggableNet.Host.Transport.Sockets;

/// <summary>
/// Drives one <see cref="FrameConnection"/> over a <see cref="Socket"/> with an async loop: receive, answer,
/// send everything, repeat. Sending all before the next receive is this transport's backpressure.
/// </summary>
internal sealed class SocketConnection(Socket socket, FrameConnection machine, ConnectionContext context)
{
    private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _idleInReceive;
    private int _abortReason;

    /// <summary>Why another thread aborted this connection, or None.</summary>
    private CloseReason AbortReason => (CloseReason)Volatile.Read(ref _abortReason);

    public FrameConnection Machine { get; } = machine;

    /// <summary>Parked in a receive with nothing received and unanswered: safe to close for shutdown.</summary>
    public bool IdleInReceive => _idleInReceive;

    /// <summary>Bytes wait in the kernel that the loop has not received yet (a request on its way in).</summary>
    public bool HasUnreadBytes
    {
        get
        {
            try
            {
                return socket.Available > 0;
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                return false;
            }
        }
    }

    /// <summary>Closes the socket from another thread (timeout, shutdown); the loop then ends with <paramref name="reason"/>.</summary>
    public void Abort(CloseReason reason)
    {
        if (Interlocked.CompareExchange(ref _abortReason, (int)reason, 0) == 0)
        {
            if (reason != CloseReason.Shutdown || !TryShutdown())
            {
                socket.Dispose();
            }

            // Ending the socket ends a pending receive or send, but not a wait on the plugin: wake that too.
            _aborted.TrySetResult();
        }
    }

    /// <summary>
    /// Sends a FIN and ends a pending receive or send, leaving the loop to close the socket: disposing it under
    /// a pending operation makes the close abortive (an RST), which can destroy answers the peer has not read yet.
    /// </summary>
    private bool TryShutdown()
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
            return true;
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    public async Task RunAsync()
    {
        var logger = context.Logger;
        try
        {
            while (!Machine.ShouldClose)
            {
                if (Machine.WantsRead)
                {
                    if (Machine.IsIdle)
                    {
                        // Wait for data before renting a buffer, as Kestrel does: an idle connection holds none.
                        _idleInReceive = true;
                        await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                        _idleInReceive = false;
                    }

                    var received = await socket.ReceiveAsync(Machine.GetReceiveMemory(), SocketFlags.None).ConfigureAwait(false);
                    if (received == 0 && AbortReason != CloseReason.None)
                    {
                        // Our own shutdown (drain), not the peer's half-close.
                        Machine.Abort(AbortReason);
                        break;
                    }

                    Step(received);
                }
                else if (Machine.OffloadTask is { } task)
                {
                    await Task.WhenAny(task, _aborted.Task).ConfigureAwait(false);
                    if (!task.IsCompleted)
                    {
                        // Timed out or cut by shutdown: abandon the request (Release cancels it) and close.
                        Machine.Abort(AbortReason);
                        break;
                    }

                    Run(static (m, g, now) => m.CompleteOffload(g, now));
                }
                else if (Machine.WaitingForOffloadSlot)
                {
                    await Task.Delay(5).ConfigureAwait(false);
                    if (AbortReason != CloseReason.None)
                    {
                        Machine.Abort(AbortReason);
                        break;
                    }

                    Run(static (m, g, now) => m.Pump(g, now));
                }
                else if (!Machine.HasPendingOutput && !Machine.ShouldClose)
                {
                    // Paused for another reason with nothing to send: let buffered frames through.
                    Run(static (m, g, now) => m.Pump(g, now));
                }

                while (Machine.HasPendingOutput && (Machine.CloseReason == CloseReason.None || Machine.CloseAfterFlush))
                {
                    var sent = await socket.SendAsync(Machine.PendingOutputMemory, SocketFlags.None).ConfigureAwait(false);
                    Machine.OnSent(sent);
                    if (!Machine.HasPendingOutput && Machine.HasBufferedInput && Machine.CloseReason == CloseReason.None && Machine.OffloadTask is null)
                    {
                        Run(static (m, g, now) => m.Pump(g, now));
                    }
                }
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException or IOException)
        {
            var reason = AbortReason;
            if (reason == CloseReason.None && logger.IsEnabled(LogLevel.Debug))
            {
                ConnectionLog.SocketError(logger, Machine.Id, Machine.Peer, exception.Message);
            }

            Machine.Abort(reason == CloseReason.None ? CloseReason.RemoteReset : reason);
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Unexpected error on connection {ConnectionId}; connection closed", Machine.Id);
            Machine.Abort(CloseReason.RemoteReset);
        }
        finally
        {
            Close();
        }
    }

    private void Step(int received)
    {
        var generation = context.Plugins.Acquire();
        try
        {
            var now = Environment.TickCount64;
            if (received == 0)
            {
                Machine.OnEndOfInput(generation, now);
            }
            else
            {
                Machine.OnReceived(received, generation, now);
            }
        }
        finally
        {
            PluginSwitch.Release(generation);
        }
    }

    private void Run(Action<FrameConnection, PluginGeneration, long> action)
    {
        var generation = context.Plugins.Acquire();
        try
        {
            action(Machine, generation, Environment.TickCount64);
        }
        finally
        {
            PluginSwitch.Release(generation);
        }
    }

    private void Close()
    {
        try
        {
            if (Machine.CloseAfterFlush && AbortReason == CloseReason.None)
            {
                socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // Already gone; nothing left to flush.
        }

        socket.Dispose();
        Machine.Release();
        context.Metrics.ConnectionClosed();
        if (context.Logger.IsEnabled(LogLevel.Debug))
        {
            ConnectionLog.Closed(context.Logger, Machine.Id, Machine.Peer, Machine.CloseReason.ToString(), Machine.State.ToString(), Machine.Requests);
        }
    }
}
