using System.Net;
using PluggableNet.Server.Connections;

namespace PluggableNet.UnitTests.Connections;

/// <summary>
/// The per-address table: the connection cap, the accept rate (a token bucket, GCRA), and its fixed capacity, whatever
/// the number of addresses a peer brings. Times are milliseconds chosen by the test.
/// </summary>
public sealed class AddressTableTests
{
    private static readonly AddressKey s_storm = Key(IPAddress.Parse("127.0.0.2"));
    private static readonly AddressKey s_other = Key(IPAddress.Parse("127.0.0.1"));

    [Fact]
    public void AnAddressAtItsCapIsRefusedUntilOneOfItsConnectionsCloses()
    {
        var table = new AddressTable(capacity: 1024, maxConnections: 3, ratePerSecond: 0, burst: 1);
        var slots = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(AddressVerdict.Admitted, table.TryAdmit(s_storm, 1000, out var slot));
            slots.Add(slot);
        }

        Assert.Equal(AddressVerdict.TooManyConnections, table.TryAdmit(s_storm, 1000, out var refused));
        Assert.Equal(-1, refused);
        Assert.Equal(AddressVerdict.Admitted, table.TryAdmit(s_other, 1000, out _));
        Assert.Equal(3, table.ConnectionsOf(s_storm));

        table.Release(slots[0]);

        Assert.Equal(AddressVerdict.Admitted, table.TryAdmit(s_storm, 1001, out _));
        Assert.Equal(AddressVerdict.TooManyConnections, table.TryAdmit(s_storm, 1001, out _));
    }

    [Fact]
    public void TheRateAllowsTheBurstAtOnceThenOneIntervalAtATime()
    {
        // 10 a second: one every 100 ms, 5 at once.
        var table = new AddressTable(capacity: 1024, maxConnections: 0, ratePerSecond: 10, burst: 5);
        for (var i = 0; i < 5; i++)
        {
            Admit(table, s_storm, 1000);
        }

        Assert.Equal(AddressVerdict.TooFast, table.TryAdmit(s_storm, 1000, out _));
        Assert.Equal(AddressVerdict.TooFast, table.TryAdmit(s_storm, 1099, out _));
        Assert.Equal(AddressVerdict.Admitted, table.TryAdmit(s_storm, 1100, out _));
        Assert.Equal(AddressVerdict.TooFast, table.TryAdmit(s_storm, 1150, out _));

        // Another address has its own bucket, full.
        for (var i = 0; i < 5; i++)
        {
            Admit(table, s_other, 1150);
        }

        // A second of quiet refills the bucket: the burst again, no more.
        for (var i = 0; i < 5; i++)
        {
            Admit(table, s_storm, 2200);
        }

        Assert.Equal(AddressVerdict.TooFast, table.TryAdmit(s_storm, 2200, out _));
    }

    [Fact]
    public void RefusedAttemptsDoNotDrainTheBucket()
    {
        var table = new AddressTable(capacity: 1024, maxConnections: 0, ratePerSecond: 10, burst: 1);
        Admit(table, s_storm, 1000);
        for (var now = 1000; now < 1100; now++)
        {
            Assert.Equal(AddressVerdict.TooFast, table.TryAdmit(s_storm, now, out _));
        }

        // A storm of refused attempts does not push the next admission later: one interval after the last one admitted.
        Assert.Equal(AddressVerdict.Admitted, table.TryAdmit(s_storm, 1100, out _));
    }

    [Fact]
    public void ManyAddressesNeverGrowTheTable()
    {
        var table = new AddressTable(capacity: 1024, maxConnections: 2, ratePerSecond: 100, burst: 10);
        var untracked = 0;

        // A peer with 100,000 addresses (an IPv6 /48 holds 65,536 /64s), each connecting and closing once.
        for (var i = 0; i < 100_000; i++)
        {
            var verdict = table.TryAdmit(V6(i), 1000 + (i / 1000), out var slot);
            Assert.NotEqual(AddressVerdict.TooManyConnections, verdict);
            untracked += verdict == AddressVerdict.Untracked ? 1 : 0;
            table.Release(slot);
        }

        Assert.Equal(1024, table.Capacity);

        // The entries holding a recent accept are kept (their rate is remembered), so some sets fill and new addresses
        // in them are admitted untracked; once their buckets are full again they are taken by new addresses.
        Assert.True(untracked > 0);
        Assert.Equal(AddressVerdict.Admitted, table.TryAdmit(V6(200_000), 10_000, out _));
    }

    [Fact]
    public void AFullSetAdmitsANewAddressUntrackedRatherThanRefusingIt()
    {
        var table = new AddressTable(capacity: 1024, maxConnections: 1, ratePerSecond: 0, burst: 1);
        var newcomer = V6(0);
        var set = table.SetOf(newcomer);

        // Fill the newcomer's set with addresses that each hold a connection: none can be evicted.
        var held = SameSet(table, set, skip: newcomer).Take(AddressTable.Ways).ToList();
        var slots = held.Select(key =>
        {
            Assert.Equal(AddressVerdict.Admitted, table.TryAdmit(key, 1000, out var slot));
            return slot;
        }).ToList();

        Assert.Equal(AddressVerdict.Untracked, table.TryAdmit(newcomer, 1000, out var untracked));
        Assert.Equal(-1, untracked);

        // Untracked, it is not capped either (Limits:MaxConnections still is the bound).
        Assert.Equal(AddressVerdict.Untracked, table.TryAdmit(newcomer, 1000, out _));

        // One held connection closes: its entry holds nothing worth keeping, and the newcomer takes it.
        table.Release(slots[3]);
        Assert.Equal(AddressVerdict.Admitted, table.TryAdmit(newcomer, 1001, out _));
        Assert.Equal(1, table.ConnectionsOf(newcomer));
        Assert.Equal(0, table.ConnectionsOf(held[3]));
        Assert.Equal(1, table.ConnectionsOf(held[0]));
    }

    [Fact]
    public void AnAddressThatStormedIsRememberedUntilItsBucketIsFullAgain()
    {
        var table = new AddressTable(capacity: 1024, maxConnections: 0, ratePerSecond: 1, burst: 2);
        var set = table.SetOf(s_storm);
        var others = SameSet(table, set, skip: s_storm).Take(AddressTable.Ways).ToList();

        // The storming address drains its bucket and closes everything.
        Admit(table, s_storm, 1000, release: true);
        Admit(table, s_storm, 1000, release: true);
        Assert.Equal(AddressVerdict.TooFast, table.TryAdmit(s_storm, 1000, out _));

        // Seven other addresses of its set come and go at the same moment, and fill it: the eighth is not given the
        // stormer's entry (that would forget its rate), it is admitted untracked.
        foreach (var other in others.Take(AddressTable.Ways - 1))
        {
            Admit(table, other, 1000, release: true);
        }

        Assert.Equal(AddressVerdict.Untracked, table.TryAdmit(others[^1], 1000, out _));
        Assert.Equal(AddressVerdict.TooFast, table.TryAdmit(s_storm, 1000, out _));

        // Their buckets full again (2 s at 1 a second), the entries hold nothing worth keeping: a newcomer takes one.
        Admit(table, others[^1], 3000, release: true);
    }

    private static void Admit(AddressTable table, AddressKey key, long now, bool release = false)
    {
        Assert.Equal(AddressVerdict.Admitted, table.TryAdmit(key, now, out var slot));
        if (release)
        {
            table.Release(slot);
        }
    }

    private static IEnumerable<AddressKey> SameSet(AddressTable table, int set, AddressKey skip)
    {
        for (var i = 1; ; i++)
        {
            var key = V6(i);
            if (key != skip && table.SetOf(key) == set)
            {
                yield return key;
            }
        }
    }

    /// <summary>The /64 number <paramref name="i"/> of 2001:db8::/32.</summary>
    private static AddressKey V6(int i) => new(0x2001_0db8_0000_0000UL | (uint)i, IsV6: true);

    private static AddressKey Key(IPAddress address)
    {
        Assert.True(AddressKey.TryFrom(address, out var key));
        return key;
    }
}
