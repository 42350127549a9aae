namespace PluggableNet.Client;

/// <summary>
/// One persistent connection to an endpoint, whatever the protocol: it takes requests, hands each answer to its
/// request, times requests out, and reports its end in <see cref="Ended"/> (how, and the requests it leaves) instead of
/// calling the client. <see cref="V1Connection"/> matches answers by order; V2Connection by id.
/// </summary>
internal abstract class ClientConnection
{
    private static long s_ids;

    protected ClientConnection(EndpointState endpoint)
    {
        Endpoint = endpoint;
        Id = Interlocked.Increment(ref s_ids);
    }

    public long Id { get; }

    public EndpointState Endpoint { get; }

    /// <summary>Requests taken whose answer has not been read: what the least-pending choice compares.</summary>
    public abstract int Pending { get; }

    /// <summary>Whether new requests may go on this connection.</summary>
    public abstract bool Usable { get; }

    /// <summary>Completes once, when the connection is over, with what became of it and the requests it leaves.</summary>
    public abstract Task<ConnectionEnded> Ended { get; }

    /// <summary>Both loops over (after <see cref="Ended"/>).</summary>
    public abstract Task Completion { get; }

    public abstract void Start();

    /// <summary>Takes <paramref name="request"/>; false if the connection takes no new requests.</summary>
    public abstract bool TryEnqueue(PendingRequest request);

    /// <summary>Fails requests whose deadline has passed and checks the connection's health; called every scan interval.</summary>
    public abstract ScanOutcome Scan(long now);

    /// <summary>Closes the socket from our side; the connection ends and reports <see cref="ConnectionEnd.ClosedByClient"/>.</summary>
    public abstract void Close();
}
