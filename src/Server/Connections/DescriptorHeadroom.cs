using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Connections;

/// <summary>
/// The descriptors left under the open-files limit (RLIMIT_NOFILE) as it is now, asked at every accept: every
/// connection is a descriptor, and the runtime needs descriptors of its own (a new thread-pool thread opens one; if it
/// cannot, .NET aborts the process with "Out of memory."), so connections never take the last ones
/// (<see cref="ConnectionLifecycle.MayAccept"/>, <see cref="ConnectionLifecycle.TryAdmit"/>).
/// The limit can change under a running host (<c>prlimit --pid</c>), and descriptors are taken by more than
/// connections (plugins opening files, log files), so neither is read once at start.
/// </summary>
/// <remarks>
/// Cheap on the accept path. The limit (<c>getrlimit</c>, one system call) is read every
/// <see cref="LimitReadEvery"/> estimates and at least every <see cref="RefreshMs"/>, so a flood right after the limit
/// is lowered is caught within a few accepts, well inside the reserve. The descriptors in use (the size of
/// <c>/proc/self/fd</c>, which Linux 6.2+ reports as the count) are read every <see cref="RefreshMs"/>, and at every
/// estimate (at most once a millisecond) once near the reserve; in between, connections opened and closed are
/// followed by count. Readings from several reactors may interleave; an estimate off by a few is harmless next to a
/// reserve of at least 64.
/// </remarks>
internal sealed class DescriptorHeadroom
{
    /// <summary>How often the limit and the descriptors in use are read again, at least.</summary>
    public const long RefreshMs = 100;

    /// <summary>Estimates between two readings of the limit: fewer than half the smallest reserve.</summary>
    public const int LimitReadEvery = 8;

    /// <summary>Where <c>/proc/self/fd</c> has to be walked (kernels before 6.2), at most this often.</summary>
    private const long SlowRefreshMs = 1000;

    /// <summary>Descriptors always kept free, for the runtime, logs, plugins and the control socket.</summary>
    private const long MinimumReserve = 64;

    private readonly Func<long> _connections;
    private readonly Func<long?> _readLimit;
    private readonly Func<long> _readInUse;
    private readonly long _refreshMs;
    private readonly bool _readAgainNearReserve;
    private long _readAt = long.MinValue / 2;
    private int _sinceLimitRead;
    private long _limit;
    private long _inUseAtRead;
    private long _connectionsAtRead;

    /// <param name="connections">The connections open now (each one descriptor).</param>
    /// <param name="readLimit">The soft limit, null where unknown or unlimited; the process's own by default.</param>
    /// <param name="readInUse">The descriptors open now; the process's own by default (tests pass their own).</param>
    public DescriptorHeadroom(Func<long> connections, Func<long?>? readLimit = null, Func<long>? readInUse = null)
    {
        _connections = connections;
        _readLimit = readLimit ?? ReadProcessLimit;
        _readInUse = readInUse ?? (() => OpenDescriptors.Count());
        var cheap = readInUse is not null || OpenDescriptors.CountIsCheap;
        _refreshMs = cheap ? RefreshMs : SlowRefreshMs;
        _readAgainNearReserve = cheap;
    }

    /// <summary>The descriptors kept free under <paramref name="limit"/>: a sixteenth of it, at least 64.</summary>
    public static long ReserveFor(long limit) => Math.Max(MinimumReserve, limit / 16);

    /// <summary>The limit and the descriptors in use as last read and followed since; null where the limit is unknown or unlimited.</summary>
    public DescriptorReading? Current(long now)
    {
        if (now - Volatile.Read(ref _readAt) >= _refreshMs)
        {
            Refresh(now);
        }

        var limit = Volatile.Read(ref _limit);
        return limit <= 0 ? null : new DescriptorReading(limit, Volatile.Read(ref _inUseAtRead) + (_connections() - Volatile.Read(ref _connectionsAtRead)));
    }

    /// <summary>
    /// <see cref="Current"/> for the accept path: the limit read again every few calls, and everything read again
    /// near the reserve, so an estimate never carries the host past it.
    /// </summary>
    public DescriptorReading? Estimate(long now)
    {
        if (Interlocked.Increment(ref _sinceLimitRead) >= LimitReadEvery)
        {
            Volatile.Write(ref _sinceLimitRead, 0);
            Volatile.Write(ref _limit, _readLimit() ?? 0);
        }

        var current = Current(now);
        if (current is { } estimate && _readAgainNearReserve && estimate.Free <= 2 * estimate.Reserve && Volatile.Read(ref _readAt) != now)
        {
            Refresh(now);
            current = Current(now);
        }

        return current;
    }

    private void Refresh(long now)
    {
        var connections = _connections();
        var limit = _readLimit() ?? 0;
        if (limit > 0)
        {
            Volatile.Write(ref _inUseAtRead, _readInUse());
            Volatile.Write(ref _connectionsAtRead, connections);
        }

        Volatile.Write(ref _limit, limit);
        Volatile.Write(ref _sinceLimitRead, 0);
        Volatile.Write(ref _readAt, now);
    }

    private static long? ReadProcessLimit() =>
        OperatingSystem.IsLinux() && Libc.getrlimit(Libc.RLIMIT_NOFILE, out var limit) == 0 && limit.Current < int.MaxValue ? (long)limit.Current : null;
}

/// <summary>The open-files limit (soft) and the descriptors in use, and what that leaves.</summary>
internal readonly record struct DescriptorReading(long Limit, long InUse)
{
    public long Reserve => DescriptorHeadroom.ReserveFor(Limit);

    public long Free => Limit - InUse;

    /// <summary>A connection may be kept: the reserve stays free with it counted in.</summary>
    public bool KeepsReserve => Free >= Reserve;

    /// <summary>
    /// A socket may still be accepted, if only to be closed at once: half the reserve is free. Below it even that
    /// moment's descriptor is the runtime's, and accepting pauses.
    /// </summary>
    public bool MayAccept => Free > Reserve / 2;
}
