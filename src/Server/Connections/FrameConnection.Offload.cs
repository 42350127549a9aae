using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Plugins;

namespace PluggableNet.Server.Connections;

/// <summary>
/// Requests of an offloaded plugin: started on the thread pool through a slot of the <see cref="OffloadGate"/> (or
/// waiting for one), completed on the transport's thread, in order.
/// </summary>
internal sealed partial class FrameConnection
{
    /// <summary>Completes an offloaded request on the transport's thread, then carries on with buffered frames.</summary>
    public void CompleteOffload(PluginGeneration generation, long now)
    {
        if (_offload is not { } offload)
        {
            return;
        }

        _offload = null;
        if (CloseReason == CloseReason.None)
        {
            var histogram = _context.Meter.RequestDuration;
            if (histogram.Enabled)
            {
                histogram.Record(Stopwatch.GetElapsedTime(offload.StartedAt).TotalSeconds, offload.Generation.Counters.OffloadedTags);
            }

            if (offload.Task.IsCompletedSuccessfully && offload.Answer.Overflowed)
            {
                RejectOversizedAnswer(offload.Generation, offload.Answer.Length);
            }
            else if (offload.Task.IsCompletedSuccessfully)
            {
                var headerAt = _output.Reserve(_codec.HeaderLength);
                _output.Write(offload.Answer.Written);
                FinishAnswer(offload.Generation, headerAt);
            }
            else
            {
                OnPluginFault(offload.Generation, offload.Task.Exception?.GetBaseException() ?? new TaskCanceledException(offload.Task));
            }

            Requests++;
            _unreportedRequests++;
            offload.Generation.Counters.RequestCounter.Add(1);
            _deadlines.RequestAnswered(now);
        }

        offload.Release();
        Pump(generation, now);
    }

    /// <summary>An offload slot may have freed: try the waiting request again.</summary>
    public void RetryOffloadSlot(PluginGeneration generation, long now)
    {
        if (_waitingForOffloadSlot)
        {
            Pump(generation, now);
        }
    }

    private bool TryStartOffload(PluginGeneration generation, ReadOnlySpan<byte> payload, long now)
    {
        _offload = OffloadedRequest.TryStart(_context.OffloadGate, generation, payload, _codec.MaxAnswerBytes, _passView);
        if (_offload is null)
        {
            StartSlotWait();
            return false;
        }

        if (_waitingForOffloadSlot)
        {
            EndSlotWait();
        }

        _deadlines.OffloadStarted(now);
        return true;
    }

    /// <summary>Every offload slot is busy: the request stays buffered and nothing more is read until one frees.</summary>
    private void StartSlotWait()
    {
        if (_waitingForOffloadSlot)
        {
            return;
        }

        if (_context.Logger.IsEnabled(LogLevel.Debug))
        {
            ConnectionLog.ReadPaused(_context.Logger, Id, $"all {_context.OffloadGate.Capacity} offload slots busy");
        }

        _waitingForOffloadSlot = true;
        _context.Metrics.OffloadSlotWaitStarted();
    }

    private void EndSlotWait()
    {
        _waitingForOffloadSlot = false;
        _context.Metrics.OffloadSlotWaitEnded();
    }
}
