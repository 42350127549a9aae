using System.Buffers;

namespace PluggableNet.Client;

/// <summary>The receive side: answers cut off the front of what arrived and handed to the oldest request waiting.</summary>
internal sealed partial class V1Connection
{
    /// <inheritdoc/>
    protected override (ConnectionEnd How, string Reason) ClosedByServer(long unreadBytes) => unreadBytes == 0
        ? (ConnectionEnd.Graceful, "was closed by the server at a frame boundary")
        : (ConnectionEnd.Broken, $"was closed by the server in the middle of an answer ({unreadBytes} byte(s) of it received)");

    /// <summary>Hands every whole answer at the front of <paramref name="buffer"/> to its request; returns a protocol error, if any.</summary>
    protected override string? OnReceived(ref ReadOnlySequence<byte> buffer)
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

    /// <inheritdoc/>
    protected override List<PendingRequest> TakeLeftLocked()
    {
        List<PendingRequest> left = [.. _inFlight];
        _inFlight.Clear();
        return left;
    }
}
