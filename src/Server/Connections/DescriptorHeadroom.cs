using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Connections;

/// <summary>
/// The descriptors left under the open-files limit (RLIMIT_NOFILE) as it is now, asked before every accept: every
/// connection is a descriptor, and the runtime needs descriptors of its own (a new thread-pool thread opens one; if it
/// cannot, .NET aborts the process with "Out of memory."), so accepting pauses while no more than a reserve is free.
/// The limit can change under a running host (<c>prlimit --pid</c>), and descriptors are taken by more than
/// connections (plugins opening files, log files), so neither is read once at start.
/// </summary>
/// <remarks>
/// Cheap on the accept path: the limit and the descriptors open are read (<c>getrlimit</c>, and the size of
/// <c>/proc/self/fd</c>, which Linux 6.2+ reports as the count) at most every <see cref="RefreshMs"/>; in between,
/// connections opened and closed are followed by count. Close to the reserve every accept reads them again, so an
/// estimate can never carry the host past it. Readings from several reactors may interleave; an estimate off by a
/// few is harmless next to a reserve of at least 64.
/// </remarks>
internal sealed class DescriptorHeadroom
{
    /// <summary>How often the limit and the descriptors in use are read again while far from the reserve.</summary>
    public const long RefreshMs = 100;

    /// <summary>Where <c>/proc/self/fd</c> has to be walked (kernels before 6.2), at most this often.</summary>
    private const long SlowRefreshMs = 1000;

    /// <summary>Descriptors always kept free, for the runtime, logs, plugins and the control socket.</summary>
    private const long MinimumReserve = 64;

    private readonly Func<long> _connections;
    private readonly Func<DescriptorReading?> _read;
    private readonly long _refreshMs;
    private readonly bool _readAgainNearReserve;
    private long _readAt = long.MinValue / 2;
    private long _limit;
    private long _inUseAtRead;
    private long _connectionsAtRead;

    /// <param name="connections">The connections open now (each one descriptor).</param>
    /// <param name="read">Reads the limit and the descriptors in use; the process's own by default (tests pass their own).</param>
    public DescriptorHeadroom(Func<long> connections, Func<DescriptorReading?>? read = null)
    {
        _connections = connections;
        _read = read ?? ReadProcess;
        var cheap = read is not null || OpenDescriptors.CountIsCheap;
        _refreshMs = cheap ? RefreshMs : SlowRefreshMs;
        _readAgainNearReserve = cheap;
    }

    /// <summary>The descriptors kept free under <paramref name="limit"/>: a sixteenth of it, at least 64.</summary>
    public static long ReserveFor(long limit) => Math.Max(MinimumReserve, limit / 16);

    /// <summary>The limit and the descriptors in use as last estimated; null where the limit is unknown or unlimited.</summary>
    public DescriptorReading? Current(long now)
    {
        if (now - Volatile.Read(ref _readAt) >= _refreshMs)
        {
            Refresh(now);
        }

        var limit = Volatile.Read(ref _limit);
        return limit <= 0 ? null : new DescriptorReading(limit, Volatile.Read(ref _inUseAtRead) + (_connections() - Volatile.Read(ref _connectionsAtRead)));
    }

    /// <summary>Whether one more connection leaves the reserve free; <paramref name="reading"/> says why not.</summary>
    public bool HasRoom(long now, out DescriptorReading reading)
    {
        if (Current(now) is not { } current)
        {
            reading = default;
            return true;
        }

        if (_readAgainNearReserve && current.Free <= 2 * current.Reserve && Volatile.Read(ref _readAt) != now)
        {
            Refresh(now);
            current = Current(now) ?? current;
        }

        reading = current;
        return current.Free > current.Reserve;
    }

    private void Refresh(long now)
    {
        var connections = _connections();
        if (_read() is { } reading)
        {
            Volatile.Write(ref _inUseAtRead, reading.InUse);
            Volatile.Write(ref _connectionsAtRead, connections);
            Volatile.Write(ref _limit, reading.Limit);
        }
        else
        {
            Volatile.Write(ref _limit, 0);
        }

        Volatile.Write(ref _readAt, now);
    }

    private static DescriptorReading? ReadProcess()
    {
        if (!OperatingSystem.IsLinux() || Libc.getrlimit(Libc.RLIMIT_NOFILE, out var limit) != 0 || limit.Current >= int.MaxValue)
        {
            return null;
        }

        return new DescriptorReading((long)limit.Current, OpenDescriptors.Count());
    }
}

/// <summary>The open-files limit (soft) and the descriptors in use, and what that leaves.</summary>
internal readonly record struct DescriptorReading(long Limit, long InUse)
{
    public long Reserve => DescriptorHeadroom.ReserveFor(Limit);

    public long Free => Limit - InUse;
}
