using System.Runtime.CompilerServices;

namespace PluggableNet.Server.Connections.Handover;

/// <summary>
/// One detach batch on the server connections leave (<see cref="PluggableServer.BeginDetachAsync"/>): the session
/// plugin's shared state, exported once, then each connection's snapshot as it reaches a point between requests, until
/// none is left or the deadline passes. Connections still busy then stay, and close with this server (its stop drains
/// them: GOAWAY on v2, the lingering close on v1).
/// </summary>
/// <remarks>
/// Every snapshot read is the reader's: it owns the socket. Snapshots never read (the batch disposed first) are
/// disposed with it, which closes those connections: read them all.
/// </remarks>
internal sealed class ConnectionDetach : IAsyncDisposable
{
    private readonly DetachRequest _request;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConnectionDetach(DetachRequest request, SharedSessionState? sharedState, Func<long> finish)
    {
        _request = request;
        SharedState = sharedState;
        _ = FinishWhenCompleteAsync(finish);
    }

    /// <summary>The session plugin's shared state, for the adopting server to import before the first session; null without sessions.</summary>
    public SharedSessionState? SharedState { get; }

    /// <summary>Connections that have left so far.</summary>
    public int Detached => _request.Delivered;

    /// <summary>Once the batch ended: connections that stayed (busy at the deadline, TLS, or a session whose export failed).</summary>
    public long LeftBehind { get; private set; }

    /// <summary>Completes once the batch ended and the server serves as before (the sessions' gate reopened).</summary>
    public Task Completion => _finished.Task;

    /// <summary>The snapshots as connections leave; ends when the batch does.</summary>
    public async IAsyncEnumerable<ConnectionSnapshot> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var snapshot in _request.Snapshots.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return snapshot;
        }

        await _finished.Task.ConfigureAwait(false);
    }

    /// <summary>Ends the batch now (no more connections leave) and waits until it has.</summary>
    public async ValueTask DisposeAsync()
    {
        _request.Close();

        // Before waiting for the end: the reader's completion (and with it the batch's) waits until none is unread.
        await foreach (var unread in _request.Snapshots.ReadAllAsync().ConfigureAwait(false))
        {
            unread.Dispose();
        }

        await _finished.Task.ConfigureAwait(false);
    }

    private async Task FinishWhenCompleteAsync(Func<long> finish)
    {
        await _request.Snapshots.Completion.ConfigureAwait(false);
        try
        {
            LeftBehind = finish();
        }
        finally
        {
            _finished.TrySetResult();
        }
    }
}
