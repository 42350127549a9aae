namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// How well requests to a plugin's workers are batched: requests queued, writes that carried them to the worker,
/// answers read and the reads that brought them; and how often its worker crashed and was restarted. Under pipelined
/// load writes and reads stay well below the requests (docs/isolation.md). One set per plugin name and endpoint, over
/// every generation and worker since start (<see cref="IsolationCounterSets"/>), so the meter's counters never go back;
/// read by <c>status</c>, <see cref="IsolationInstruments"/> and tests.
/// </summary>
internal sealed class IsolationCounters
{
    private long _requests;
    private long _requestWrites;
    private long _answers;
    private long _answerReads;
    private long _blockedSends;
    private long _crashes;
    private long _restarts;

    public long Requests => Volatile.Read(ref _requests);

    /// <summary>Socket writes that carried requests to the worker (each a batch of one or more).</summary>
    public long RequestWrites => Volatile.Read(ref _requestWrites);

    public long Answers => Volatile.Read(ref _answers);

    /// <summary>Socket reads that brought answers back (each a batch of one or more).</summary>
    public long AnswerReads => Volatile.Read(ref _answerReads);

    /// <summary>Epoll reactor channel sends that found the worker's buffer full and read answers while they waited.</summary>
    public long BlockedSends => Volatile.Read(ref _blockedSends);

    /// <summary>Workers that died while serving (exit, signal, killed past <c>Limits:ProcessTimeout</c>); retired ones are not counted.</summary>
    public long WorkerCrashes => Volatile.Read(ref _crashes);

    /// <summary>Workers started again after a crash.</summary>
    public long WorkerRestarts => Volatile.Read(ref _restarts);

    public void WorkerCrashed() => Interlocked.Increment(ref _crashes);

    public void WorkerRestarted() => Interlocked.Increment(ref _restarts);

    public void SendBlocked() => Interlocked.Increment(ref _blockedSends);

    public void RequestQueued() => Interlocked.Increment(ref _requests);

    public void RequestsWritten() => Interlocked.Increment(ref _requestWrites);

    public void AnswersRead(int count)
    {
        Interlocked.Add(ref _answers, count);
        Interlocked.Increment(ref _answerReads);
    }
}
