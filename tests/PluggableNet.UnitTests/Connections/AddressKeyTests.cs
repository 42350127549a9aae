using System.Net;
using PluggableNet.Server.Connections;

namespace PluggableNet.UnitTests.Connections;

/// <summary>What per-address limits count under: an IPv4 address, an IPv6 /64, a mapped IPv4 address as itself.</summary>
public sealed class AddressKeyTests
{
    [Fact]
    public void EachIPv4AddressIsItsOwnKey()
    {
        Assert.Equal(Key("192.0.2.1"), Key("192.0.2.1"));
        Assert.NotEqual(Key("192.0.2.1"), Key("192.0.2.2"));
        Assert.Equal("192.0.2.1", Key("192.0.2.1").ToString());
    }

    [Fact]
    public void IPv6AddressesOfOneSlash64ShareAKey()
    {
        Assert.Equal(Key("2001:db8:1:2::1"), Key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        Assert.Equal(Key("2001:db8:1:2::1"), Key("2001:db8:1:2:1234:5678:9abc:def0"));
        Assert.NotEqual(Key("2001:db8:1:2::1"), Key("2001:db8:1:3::1"));
        Assert.NotEqual(Key("2001:db8:1:2::1"), Key("2001:db8:2:2::1"));
        Assert.Equal("2001:db8:1:2::/64", Key("2001:db8:1:2:aaaa::7").ToString());
    }

    [Fact]
    public void AnIPv4MappedIPv6AddressCountsAsItsIPv4Address()
    {
        var mapped = Key("::ffff:192.0.2.1");

        Assert.Equal(Key("192.0.2.1"), mapped);
        Assert.False(mapped.IsV6);
        Assert.NotEqual(Key("192.0.2.1"), Key("::192.0.2.1"));
    }

    [Fact]
    public void AnIPv4AddressNeverSharesAKeyWithAnIPv6Prefix()
    {
        // 0.0.0.1 and ::/64 hold the same number in their prefix; the family tells them apart.
        Assert.NotEqual(Key("0.0.0.0"), Key("::1"));
    }

    [Fact]
    public void WhatIsNoIPEndPointHasNoKey()
    {
        Assert.False(AddressKey.TryFrom(new DnsEndPoint("example.org", 1), out _));
        Assert.False(AddressKey.TryFrom((EndPoint?)null, out _));
        Assert.True(AddressKey.TryFrom(new IPEndPoint(IPAddress.Loopback, 9), out var key));
        Assert.Equal("127.0.0.1", key.ToString());
    }

    private static AddressKey Key(string address)
    {
        Assert.True(AddressKey.TryFrom(IPAddress.Parse(address), out var key));
        return key;
    }
}
