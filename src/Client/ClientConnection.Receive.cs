using System.Buffers;
using System.Net.Sockets;

namespace PluggableNet.Client;

/// <summary>
/// The receive side: bytes into a pipe, whole frames cut off its front by the protocol (<see cref="OnReceived"/>), and
/// when the loop stops, the connection's end.
/// </summary>
internal abstract partial class ClientConnection
{
    /// <summary>
    /// Acts on every whole frame at the front of <paramref name="buffer"/>, leaving the rest in it; returns a protocol
    /// error, if any. Called on the receive loop each time bytes arrive.
    /// </summary>
    protected abstract string? OnReceived(ref ReadOnlySequence<byte> buffer);

    /// <summary>How the connection ended when the server closed it with <paramref name="unreadBytes"/> of a frame received.</summary>
    protected abstract (ConnectionEnd How, string Reason) ClosedByServer(long unreadBytes);

    /// <summary>Takes every request left (in the order they were sent, then those never sent) out of the connection. Under the lock.</summary>
    protected abstract List<PendingRequest> TakeLeftLocked();

    /// <summary>What <see cref="Ended"/> reports, once the socket is gone.</summary>
    protected virtual ConnectionEnded Report(ConnectionEnd how, string reason, Exception? error, List<PendingRequest> left, long sentBytes)
        => new(_closedByClient ? ConnectionEnd.ClosedByClient : how, reason, error, left, sentBytes);

    private async Task<ConnectionEnded> ReceiveLoopAsync()
    {
        var writer = _receive.Writer;
        var reader = _receive.Reader;
        long unread = 0;
        var how = ConnectionEnd.Broken;
        string reason;
        Exception? error = null;
        try
        {
            while (true)
            {
                if (unread == 0)
                {
                    // Wait for data before taking a buffer, so an idle connection holds none (Kestrel does the same).
                    await ReceiveAsync(Memory<byte>.Empty).ConfigureAwait(false);
                }

                var received = await ReceiveAsync(writer.GetMemory()).ConfigureAwait(false);
                if (received == 0)
                {
                    // Our own shutdown (Abort) also ends the receive with 0: its reason wins.
                    if (_abortReason is { } aborted)
                    {
                        reason = aborted;
                    }
                    else
                    {
                        (how, reason) = ClosedByServer(unread);
                    }

                    break;
                }

                writer.Advance(received);

                // Never waits (no pause threshold) and the reader is this loop: the bytes are readable at once.
                await writer.FlushAsync().ConfigureAwait(false);
                reader.TryRead(out var result);
                var buffer = result.Buffer;
                var protocolError = OnReceived(ref buffer);
                unread = buffer.Length;
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (protocolError is not null)
                {
                    reason = "broke the protocol: " + protocolError;
                    break;
                }
            }
        }
        catch (SocketException exception)
        {
            error = exception;
            reason = _abortReason ?? (exception.SocketErrorCode == SocketError.ConnectionReset ? "was reset by the server" : "failed: " + exception.Message);
        }
        catch (ObjectDisposedException exception)
        {
            error = exception;
            reason = _abortReason ?? "was closed by the client";
        }
        catch (IOException exception)
        {
            // Through TLS: the socket's error (a reset) inside, or the TLS layer's own (a bad record, an alert).
            error = exception;
            reason = _abortReason ?? (exception.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset } ? "was reset by the server" : "failed: " + exception.Message);
        }
        finally
        {
            // Both ends of the receive pipe are done: its segments go back to the pool.
            await writer.CompleteAsync().ConfigureAwait(false);
            await reader.CompleteAsync().ConfigureAwait(false);
        }

        return End(how, reason, error);
    }

    private ValueTask<int> ReceiveAsync(Memory<byte> buffer) =>
        _tls is { } tls ? tls.ReadAsync(buffer) : _socket.ReceiveAsync(buffer, SocketFlags.None);

    private ConnectionEnded End(ConnectionEnd how, string reason, Exception? error)
    {
        List<PendingRequest> left;
        lock (_lock)
        {
            _closed = true;
            left = TakeLeftLocked();
            _pending = 0;

            // Ends the send loop if it waits for more to send.
            _send.Writer.Complete();
        }

        _tls?.Dispose();
        _socket.Dispose();
        return Report(how, reason, error, left, Volatile.Read(ref _sentBytes));
    }
}
