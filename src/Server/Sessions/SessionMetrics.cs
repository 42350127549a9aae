namespace PluggableNet.Server.Sessions;

/// <summary>Session counts for the meter and <c>status</c>: pushes by outcome, broadcast fan-out, migrations.</summary>
internal sealed class SessionMetrics
{
    private readonly long[] _pushes = new long[Enum.GetValues<PushResult>().Length];
    private long _broadcasts;
    private long _migrations;
    private long _migrationFailures;
    private long _lastMigrationMicroseconds;

    public long Broadcasts => Volatile.Read(ref _broadcasts);

    public long Migrations => Volatile.Read(ref _migrations);

    public long MigrationFailures => Volatile.Read(ref _migrationFailures);

    /// <summary>How long the last state move kept sessions paused, in microseconds.</summary>
    public long LastMigrationMicroseconds => Volatile.Read(ref _lastMigrationMicroseconds);

    public long PushesOf(PushResult result) => Volatile.Read(ref _pushes[(int)result]);

    internal void Pushed(PushResult result) => Interlocked.Increment(ref _pushes[(int)result]);

    internal void Broadcast(BroadcastResult result, int closed)
    {
        Interlocked.Increment(ref _broadcasts);
        Add(PushResult.Queued, result.Queued);
        Add(PushResult.Dropped, result.Dropped - closed);
        Add(PushResult.Closed, closed);
        Add(PushResult.Gone, result.Gone);
        Add(PushResult.Refused, result.Refused);
    }

    internal void Migrated(bool succeeded, TimeSpan paused)
    {
        Interlocked.Increment(ref succeeded ? ref _migrations : ref _migrationFailures);
        Volatile.Write(ref _lastMigrationMicroseconds, (long)(paused.TotalMilliseconds * 1000));
    }

    private void Add(PushResult result, int count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _pushes[(int)result], count);
        }
    }
}
