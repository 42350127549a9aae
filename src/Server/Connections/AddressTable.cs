using System.Runtime.InteropServices;

namespace PluggableNet.Server.Connections;

/// <summary>
/// Per client address (<see cref="AddressKey"/>): the connections open and a token bucket of accepts, in a table of
/// fixed capacity, so a peer with many addresses (an IPv6 /48 holds 65,536 /64s) cannot make it grow.
/// </summary>
/// <remarks>
/// Set-associative, like a CPU cache: an address hashes (with the process's random seed, so a peer cannot aim at one
/// set) to one set of <see cref="Ways"/> entries, and only that set is searched and locked; locks are striped, so
/// accepts on different reactors rarely meet. A new address takes an empty entry, else one that holds nothing worth
/// keeping: no open connection and a full bucket (what a fresh entry would hold anyway). When its set has neither,
/// the connection is admitted <see cref="AddressVerdict.Untracked"/> rather than refused: refusing would let a peer
/// that fills sets with its own addresses lock everyone else out, while admitting leaves it bounded by
/// <c>Limits:MaxConnections</c> like any connection. An entry holding connections is never evicted, so a connection's
/// slot stays its own until <see cref="Release"/>.
/// The bucket is GCRA (the generic cell rate algorithm): one "theoretical arrival time" per entry, in microseconds.
/// Times are <see cref="Environment.TickCount64"/> milliseconds passed in, so tests choose them.
/// </remarks>
internal sealed class AddressTable
{
    /// <summary>Entries per set: a search reads three cache lines.</summary>
    public const int Ways = 8;

    private const int Stripes = 64;
    private const int MinCapacity = 1024;
    private const int MaxCapacity = 1 << 20;

    private readonly Entry[] _entries;
    private readonly Lock[] _locks;
    private readonly int _setMask;
    private readonly int _maxConnections;
    private readonly long _intervalUs;
    private readonly long _toleranceUs;

    /// <param name="capacity">Entries in all; rounded up to a power of two, at least <see cref="MinCapacity"/>.</param>
    /// <param name="maxConnections">Connections one address may hold; 0 = no cap.</param>
    /// <param name="ratePerSecond">Connections one address may open per second, on average; 0 = no rate.</param>
    /// <param name="burst">How many it may open at once before the rate applies (at least 1).</param>
    public AddressTable(int capacity, int maxConnections, int ratePerSecond, int burst)
    {
        capacity = (int)Math.Min(MaxCapacity, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(MinCapacity, capacity)));
        _entries = new Entry[capacity];
        _setMask = capacity / Ways - 1;
        _locks = new Lock[Stripes];
        for (var i = 0; i < _locks.Length; i++)
        {
            _locks[i] = new Lock();
        }

        _maxConnections = maxConnections;
        if (ratePerSecond > 0)
        {
            _intervalUs = Math.Max(1, 1_000_000 / ratePerSecond);
            _toleranceUs = (Math.Max(1, burst) - 1) * _intervalUs;
        }
    }

    /// <summary>Entries in all: the table never holds more addresses.</summary>
    public int Capacity => _entries.Length;

    /// <summary>
    /// The table's capacity for a host of <paramref name="maxConnections"/>: twice as many entries as connections, so
    /// at least half of them can always be taken by addresses that hold none (at most 2^20, about 24 MiB).
    /// </summary>
    public static int CapacityFor(int maxConnections) => (int)Math.Min(MaxCapacity, Math.Max(MinCapacity, 2L * maxConnections));

    /// <summary>
    /// Counts a new connection from <paramref name="key"/> in, or refuses it. <paramref name="slot"/> is what
    /// <see cref="Release"/> takes when the connection closes: -1 when nothing was counted. An <c>adopted</c> connection
    /// (moved here from another server, docs/upgrade-connections.md) is counted in and never refused: it was admitted once.
    /// </summary>
    public AddressVerdict TryAdmit(in AddressKey key, long nowMs, out int slot, bool adopted = false)
    {
        slot = -1;
        var set = SetOf(key);
        var first = set * Ways;
        var nowUs = nowMs * 1000;
        lock (_locks[set & (Stripes - 1)])
        {
            var found = -1;
            var free = -1;
            for (var i = first; i < first + Ways; i++)
            {
                ref var entry = ref _entries[i];
                if (entry.InUse && entry.Prefix == key.Prefix && entry.IsV6 == key.IsV6)
                {
                    found = i;
                    break;
                }

                if (free < 0 && (!entry.InUse || (entry.Connections == 0 && entry.BucketFullAt <= nowUs)))
                {
                    free = i;
                }
            }

            if (found < 0)
            {
                if (free < 0)
                {
                    return AddressVerdict.Untracked;
                }

                found = free;
                _entries[found] = new Entry { Prefix = key.Prefix, IsV6 = key.IsV6, InUse = true };
            }

            ref var admitted = ref _entries[found];
            if (adopted)
            {
                admitted.Connections++;
                slot = found;
                return AddressVerdict.Admitted;
            }

            if (_maxConnections > 0 && admitted.Connections >= _maxConnections)
            {
                return AddressVerdict.TooManyConnections;
            }

            if (_intervalUs > 0)
            {
                // GCRA: the bucket is full at BucketFullAt; each accept moves it one interval later, and an accept that
                // would move it more than the burst's worth past now is refused (and moves nothing).
                var at = Math.Max(admitted.BucketFullAt, nowUs);
                if (at - nowUs > _toleranceUs)
                {
                    return AddressVerdict.TooFast;
                }

                admitted.BucketFullAt = at + _intervalUs;
            }

            admitted.Connections++;
            slot = found;
            return AddressVerdict.Admitted;
        }
    }

    /// <summary>A connection counted in by <see cref="TryAdmit"/> at <paramref name="slot"/> closed; -1 does nothing.</summary>
    public void Release(int slot)
    {
        if (slot < 0)
        {
            return;
        }

        lock (_locks[(slot / Ways) & (Stripes - 1)])
        {
            _entries[slot].Connections--;
        }
    }

    /// <summary>The connections counted under <paramref name="key"/> now (tests, diagnostics).</summary>
    public int ConnectionsOf(in AddressKey key)
    {
        var set = SetOf(key);
        lock (_locks[set & (Stripes - 1)])
        {
            for (var i = set * Ways; i < (set + 1) * Ways; i++)
            {
                if (_entries[i].InUse && _entries[i].Prefix == key.Prefix && _entries[i].IsV6 == key.IsV6)
                {
                    return _entries[i].Connections;
                }
            }
        }

        return 0;
    }

    /// <summary>The set <paramref name="key"/> lives in: seeded per process by <see cref="HashCode"/>.</summary>
    internal int SetOf(in AddressKey key) => HashCode.Combine(key.Prefix, key.IsV6) & _setMask;

    [StructLayout(LayoutKind.Sequential)]
    private struct Entry
    {
        public ulong Prefix;

        /// <summary>GCRA's theoretical arrival time, in microseconds: the bucket is full from then on.</summary>
        public long BucketFullAt;

        public int Connections;
        public bool IsV6;
        public bool InUse;
    }
}
