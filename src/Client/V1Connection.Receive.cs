using System.Buffers;
using System.Net.Sockets;

namespace PluggableNet.Client;

/// <summary>The receive side: bytes into a pipe, answers cut off its front and handed to the oldest request waiting.</summary>
internal sealed partial class V1Connection
{
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
                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                }

                var received = await _socket.ReceiveAsync(writer.GetMemory(), SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    if (unread == 0)
                    {
                        how = ConnectionEnd.Graceful;
                        reason = "was closed by the server at a frame boundary";
                    }
                    else
                    {
                        reason = $"was closed by the server in the middle of an answer ({unread} byte(s) of it received)";
                    }

                    break;
                }

                writer.Advance(received);

                // Never waits (no pause threshold) and the reader is this loop: the bytes are readable at once.
                await writer.FlushAsync().ConfigureAwait(false);
                reader.TryRead(out var result);
                var buffer = result.Buffer;
                var protocolError = OnAnswers(ref buffer);
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
            reason = exception.SocketErrorCode == SocketError.ConnectionReset ? "was reset by the server" : "failed: " + exception.Message;
        }
        catch (ObjectDisposedException exception)
        {
            error = exception;
            reason = "was closed by the client";
        }
        finally
        {
            // Both ends of the receive pipe are done: its segments go back to the pool.
            await writer.CompleteAsync().ConfigureAwait(false);
            await reader.CompleteAsync().ConfigureAwait(false);
        }

        return End(how, reason, error);
    }

    /// <summary>Hands every whole answer at the front of <paramref name="buffer"/> to its request; returns a protocol error, if any.</summary>
    private string? OnAnswers(ref ReadOnlySequence<byte> buffer)
    {
        string? error;
        while (AnswerFrames.TryRead(ref buffer, _header, _maxAnswerBytes, out var payload, out error))
        {
            if (!OnAnswer(payload))
            {
                return "an answer arrived with no request waiting for it";
            }
        }

        return error;
    }

    private bool OnAnswer(in ReadOnlySequence<byte> payload)
    {
        PendingRequest? request;
        bool caughtUp;
        lock (_lock)
        {
            if (!_inFlight.TryDequeue(out request))
            {
                return false;
            }

            _pending--;
            caughtUp = _retired && _pending == 0;
        }

        request.TryAnswer(payload);
        request.ReleaseTransport();
        if (caughtUp)
        {
            Close();
        }

        return true;
    }
}
