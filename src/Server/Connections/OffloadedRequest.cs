using PluggableNet.Server.Plugins;
using PluggableNet.Server.Sessions;

namespace PluggableNet.Server.Connections;

/// <summary>
/// One request running on the thread pool (<see cref="PluginExecution.Offloaded"/>): its copy of the payload, its
/// answer (bounded by the largest frame), its cancellation, its offload slot and its lease on the plugin generation,
/// from start to release.
/// </summary>
internal sealed class OffloadedRequest
{
    private readonly OffloadGate _gate;
    private readonly PluginLease _lease;
    private readonly byte[] _request;
    private readonly CancellationTokenSource _cancellation = new();
    private int _abandonedBytes;
    private SessionRegistry? _sessionGate;

    private OffloadedRequest(OffloadGate gate, PluginGeneration generation, ReadOnlySpan<byte> payload, int maxAnswerBytes, SessionView? session)
    {
        _gate = gate;
        Answer = new OffloadedAnswer(maxAnswerBytes);
        StartedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        StartedAtMs = Environment.TickCount64;

        // Pinned for the whole run: a swap waits for this request before disposing the code it runs on.
        _lease = PluginLease.Pin(generation);
        _request = ConnectionBuffers.Rent(payload.Length);
        payload.CopyTo(_request);
        var plugin = generation.Plugin;
        var memory = new ReadOnlyMemory<byte>(_request, 0, payload.Length);
        var answer = Answer;
        var token = _cancellation.Token;
        if (session?.Scope.Plugin is { } sessions)
        {
            // A permit of the sessions' gate for the whole call: a swap moves the state only once it ended.
            _sessionGate = session.Scope.Host;
            _sessionGate.Enter();
            Task = Task.Run(() => sessions.ProcessAsync(session, memory, answer, token).AsTask(), CancellationToken.None);
        }
        else
        {
            Task = Task.Run(() => plugin.ProcessAsync(memory, answer, token).AsTask(), CancellationToken.None);
        }
    }

    public Task Task { get; }

    /// <summary>When the request was handed to the thread pool, for <c>pluggablenet.request.duration</c>.</summary>
    public long StartedAt { get; }

    /// <summary>The same moment in <see cref="Environment.TickCount64"/> milliseconds, for v2's per-request <c>Limits:ProcessTimeout</c>.</summary>
    public long StartedAtMs { get; }

    /// <summary>The plugin's answer payload; valid once <see cref="Task"/> completed successfully.</summary>
    public OffloadedAnswer Answer { get; }

    public PluginGeneration Generation => _lease.Generation;

    /// <summary>Starts <paramref name="payload"/> on <paramref name="generation"/> if an offload slot is free.</summary>
    public static OffloadedRequest? TryStart(OffloadGate gate, PluginGeneration generation, ReadOnlySpan<byte> payload, int maxAnswerBytes, SessionView? session = null) =>
        gate.TryEnter() ? new OffloadedRequest(gate, generation, payload, maxAnswerBytes, session) : null;

    /// <summary>After <see cref="Task"/> ended and its answer was taken: frees the slot, the buffer and the lease.</summary>
    public void Release()
    {
        _gate.Exit();
        ExitSessionGate();
        ReleaseResources();
    }

    /// <summary>
    /// The connection is gone while the request runs: cancels it and stops counting it as wanted, both for the offload
    /// gate (its slot frees, within <c>Limits:MaxAbandonedOffloads</c>) and for its generation (a swap does not wait
    /// for it). The request buffer and the pin on the generation are released only when it really ends, so the old
    /// code is never unloaded under it.
    /// </summary>
    public void Abandon()
    {
        // Counted as abandoned before anything can end it, so the release below always finds the counts it undoes. What
        // it holds now: its request and the answer so far, which can grow on to the largest frame, no further.
        _abandonedBytes = _request.Length + Answer.Capacity;
        _gate.Abandon(_abandonedBytes);
        _lease.Abandon();

        // Its connection is gone: a swap does not wait for it to move the state, as it does not wait to publish.
        ExitSessionGate();
        _cancellation.Cancel();
        _ = Task.ContinueWith(
            static (_, state) => ((OffloadedRequest)state!).ReleaseAbandoned(),
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void ExitSessionGate() => Interlocked.Exchange(ref _sessionGate, null)?.Exit();

    private void ReleaseAbandoned()
    {
        _gate.AbandonedEnded(_abandonedBytes);
        _lease.DisposeAbandoned();
        _cancellation.Dispose();
        Answer.Release();
        ConnectionBuffers.Return(_request);
    }

    private void ReleaseResources()
    {
        _lease.Dispose();
        _cancellation.Dispose();
        Answer.Release();
        ConnectionBuffers.Return(_request);
    }
}
