namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// How well requests to a generation's workers are batched: requests queued, writes that carried them to the worker,
/// answers read and the reads that brought them. Under pipelined load writes and reads stay well below the requests
/// (docs/isolation.md); exposed on <see cref="IsolatedPlugin"/> for status and tests.
/// </summary>
internal sealed class IsolationCounters
{
    private long _requests;
    private long _requestWrites;
    private long _answers;
    private long _answerReads;
    private long _blockedSends;

    public long Requests => Volatile.Read(ref _requests);

    /// <summary>Socket writes that carried requests to the worker (each a batch of one or more).</summary>
    public long RequestWrites => Volatile.Read(ref _requestWrites);

    public long Answers => Volatile.Read(ref _answers);

    /// <summary>Socket reads that brought answers back (each a batch of one or more).</summary>
    public long AnswerReads => Volatile.Read(ref _answerReads);

    /// <summary>Epoll reactor channel sends that found the worker's buffer full and read answers while they waited.</summary>
    public long BlockedSends => Volatile.Read(ref _blockedSends);

    public void SendBlocked() => Interlocked.Increment(ref _blockedSends);

    public void RequestQueued() => Interlocked.Increment(ref _requests);

    public void RequestsWritten() => Interlocked.Increment(ref _requestWrites);

    public void AnswersRead(int count)
    {
        Interlocked.Add(ref _answers, count);
        Interlocked.Increment(ref _answerReads);
    }
}
