using System.Buffers;
using PluggableNet.Protocol.V2;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Plugins.Isolation;

namespace PluggableNet.Server.Connections;

/// <summary>
/// Requests to a plugin in <c>Isolation Process</c>, batched per pass (docs/isolation.md, "Batching"): each complete
/// frame of a pass is queued to the worker, all of them go in one write when the pass ends, and the worker's answers
/// of one read come back with one wake-up, written here on the connection's thread — v1 in request order, v2 as they
/// are done. No thread-pool hop and no allocation per request; a plugin with no live worker (crashed, restarting,
/// given up) goes through the offload path instead, which waits for the restart or refuses.
/// </summary>
internal sealed partial class FrameConnection
{
    private IsolatedCalls? _isolated;

    private int IsolatedCount => _isolated?.Count ?? 0;

    /// <summary>Queues the request to the plugin's worker; false if the plugin is not isolated or has no live worker.</summary>
    private bool TryStartIsolated(PluginGeneration generation, uint clientId, ReadOnlySpan<byte> payload, int maxAnswerBytes, long now)
    {
        if (generation.Plugin is not IsolatedPlugin plugin)
        {
            return false;
        }

        var calls = _isolated ??= new IsolatedCalls(_wake ??= WakeFromAnyThread);
        var first = calls.Count == 0;
        if (!calls.TryStart(generation, plugin, clientId, payload, maxAnswerBytes, now))
        {
            return false;
        }

        if (_waitingForOffloadSlot)
        {
            EndSlotWait();
        }

        if (first)
        {
            // v1's Limits:ProcessTimeout runs from the oldest call waited for.
            _deadlines.OffloadStarted(now);
        }

        return true;
    }

    /// <summary>
    /// v1 Process for an offloaded plugin: true when the request is on its way (batched, or offloaded as before); false
    /// when it must wait (as many in flight as <c>Limits:MaxConcurrentRequests</c>, or answers before it to keep order).
    /// </summary>
    private bool StartOffloadedV1(PluginGeneration generation, ReadOnlySpan<byte> payload, long now)
    {
        if (IsolatedCount >= _limits.MaxConcurrentRequests)
        {
            return false;
        }

        if (TryStartIsolated(generation, 0, payload, _codec.MaxAnswerBytes, now))
        {
            return true;
        }

        // Not batched: runs alone once the batched ones before it are answered, so answers stay in order.
        return IsolatedCount == 0 && TryStartOffload(generation, payload, now);
    }

    /// <summary>v1: writes the answers done at the head of the batch, in request order, and stops at the first still waited for.</summary>
    private void CompleteIsolatedV1(long now)
    {
        var calls = _isolated!;
        var done = 0;
        while (done < calls.Count && CloseReason == CloseReason.None && calls[done].IsDone)
        {
            var call = calls[done++];
            var generation = call.Generation;
            if (call.Failure is { } failure)
            {
                OnPluginFault(generation, failure);
            }
            else if (call.Overflowed)
            {
                RejectOversizedAnswer(generation, call.AnswerLength);
            }
            else
            {
                var headerAt = _output.Reserve(_codec.HeaderLength);
                _output.Write(call.Answer);
                FinishAnswer(generation, headerAt);
            }

            CountIsolatedAnswer(call, now);
            call.Release();
        }

        calls.RemoveFirst(done);
        if (calls.Count > 0 && done > 0)
        {
            _deadlines.OffloadStarted(calls.OldestSentAtMs);
        }
    }

    /// <summary>v2: writes every answer done, in any order, and fails the calls past <c>Limits:ProcessTimeout</c>.</summary>
    private void CompleteIsolatedV2(long now)
    {
        if (_isolated is not { Count: > 0 } calls)
        {
            return;
        }

        var kept = 0;
        for (var i = 0; i < calls.Count; i++)
        {
            var call = calls[i];
            if (call.IsDone)
            {
                if (call.Failure is { } failure)
                {
                    OnPluginFaultV2(call.Generation, call.ClientId, failure);
                }
                else if (call.Overflowed)
                {
                    RejectOversizedAnswerV2(call.Generation, call.ClientId, call.AnswerLength);
                }
                else
                {
                    V2Output.Frame(_output, FrameType.Answer, call.ClientId, call.Answer);
                }

                CountIsolatedAnswer(call, now);
                call.Release();
            }
            else if (_limits.ProcessTimeoutMs > 0 && now - call.SentAtMs >= _limits.ProcessTimeoutMs)
            {
                _context.Metrics.Timeout(TimeoutKind.Process);
                if (_context.Throttled.ShouldLog(ThrottledEvent.ProcessTimeout, now))
                {
                    ConnectionLog.V2RequestRefused(_context.Logger, Id, Peer, call.ClientId, $"ran {now - call.SentAtMs} ms, past Limits:ProcessTimeout", nameof(ErrorCode.ProcessTimeout));
                }

                V2Output.Error(_output, call.ClientId, ErrorCode.ProcessTimeout, $"the request ran past the server's {_limits.ProcessTimeoutMs} ms limit");
                Requests++;
                _unreportedRequests++;
                _deadlines.RequestAnswered(now);
                call.Abandon();
            }
            else
            {
                calls.Set(kept++, call);
            }
        }

        calls.Truncate(kept);
    }

    private void CountIsolatedAnswer(IsolatedCall call, long now)
    {
        var histogram = _context.Meter.RequestDuration;
        if (histogram.Enabled)
        {
            histogram.Record(System.Diagnostics.Stopwatch.GetElapsedTime(call.StartedAt).TotalSeconds, call.Generation.Counters.OffloadedTags);
        }

        Requests++;
        _unreportedRequests++;
        call.Generation.Counters.RequestCounter.Add(1);
        _deadlines.RequestAnswered(now);
    }

    /// <summary>When the oldest v2 call in flight started, batched or offloaded (<see cref="long.MaxValue"/> if none).</summary>
    private long OldestInFlightStart() => Math.Min(_inFlight?.OldestStart() ?? long.MaxValue, _isolated?.OldestSentAtMs ?? long.MaxValue);
}
