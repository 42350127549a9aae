using System.Net;
using System.Text;
using PluggableNet.Server.Framing;

namespace PluggableNet.UnitTests.Framing;

/// <summary>HAProxy's PROXY protocol, versions 1 and 2, as its specification writes them.</summary>
public sealed class ProxyHeaderReaderTests
{
    private static readonly byte[] s_v2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    [Theory]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", "192.168.0.1:56324", "192.168.0.11:443")]
    [InlineData("PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n", "[2001:db8::1]:1", "[2001:db8::2]:65535")]
    public void AV1LineGivesTheClientAndTheAddressItReached(string line, string source, string destination)
    {
        var input = Encoding.ASCII.GetBytes(line + "00005hello");

        Assert.Equal(ProxyHeaderStatus.Valid, ProxyHeaderReader.TryRead(input, out var header, out var consumed, out _));
        Assert.Equal(line.Length, consumed);
        Assert.Equal(IPEndPoint.Parse(source), header.Source);
        Assert.Equal(IPEndPoint.Parse(destination), header.Destination);
        Assert.Equal(1, header.Version);
    }

    [Fact]
    public void AV1UnknownLineKeepsTheConnectionsOwnEndpoints()
    {
        Assert.Equal(ProxyHeaderStatus.Valid, ProxyHeaderReader.TryRead("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"u8, out var header, out var consumed, out _));
        Assert.Null(header.Source);
        Assert.Equal(35, consumed);
    }

    [Theory]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324\r\n")]
    [InlineData("PROXY TCP4 2001:db8::1 192.168.0.11 1 2\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 065535 2\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 65536 2\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1  192.168.0.11 1 2\r\n")]
    [InlineData("PROXY UDP4 192.168.0.1 192.168.0.11 1 2\r\n")]
    [InlineData("00005hello")]
    [InlineData("GET / HTTP/1.1\r\n")]
    public void AnythingElseIsInvalidWithAReason(string text)
    {
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeaderReader.TryRead(Encoding.ASCII.GetBytes(text), out _, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void AV1LineWithoutItsEndIsIncompleteUntilTheSpecificationsBound()
    {
        Assert.Equal(ProxyHeaderStatus.Incomplete, ProxyHeaderReader.TryRead("PROXY TCP4 192.168.0.1 192"u8, out _, out _, out _));
        Assert.Equal(ProxyHeaderStatus.Incomplete, ProxyHeaderReader.TryRead("PRO"u8, out _, out _, out _));
        var endless = Encoding.ASCII.GetBytes("PROXY " + new string('1', ProxyHeaderReader.MaxV1Bytes));
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeaderReader.TryRead(endless, out _, out _, out _));
    }

    [Fact]
    public void AV2HeaderForTcp4GivesBothEndpointsAndSkipsItsTlvs()
    {
        byte[] addresses = [192, 168, 0, 1, 10, 0, 0, 2, 0xDC, 0x04, 0x01, 0xBB];
        byte[] tlv = [0x05, 0x00, 0x02, 0xAB, 0xCD];
        var input = V2(0x21, 0x11, [.. addresses, .. tlv], trailing: "00005hello"u8.ToArray());

        Assert.Equal(ProxyHeaderStatus.Valid, ProxyHeaderReader.TryRead(input, out var header, out var consumed, out _));
        Assert.Equal(16 + 12 + 5, consumed);
        Assert.Equal(IPEndPoint.Parse("192.168.0.1:56324"), header.Source);
        Assert.Equal(IPEndPoint.Parse("10.0.0.2:443"), header.Destination);
    }

    [Fact]
    public void AV2HeaderForTcp6GivesBothEndpoints()
    {
        var source = IPAddress.Parse("2001:db8::1").GetAddressBytes();
        var destination = IPAddress.Parse("2001:db8::2").GetAddressBytes();
        var input = V2(0x21, 0x21, [.. source, .. destination, 0x00, 0x01, 0xFF, 0xFF]);

        Assert.Equal(ProxyHeaderStatus.Valid, ProxyHeaderReader.TryRead(input, out var header, out _, out _));
        Assert.Equal(IPEndPoint.Parse("[2001:db8::1]:1"), header.Source);
        Assert.Equal(IPEndPoint.Parse("[2001:db8::2]:65535"), header.Destination);
    }

    [Fact]
    public void AV2LocalCommandIsAHealthCheckOnTheConnectionsOwnEndpoints()
    {
        Assert.Equal(ProxyHeaderStatus.Valid, ProxyHeaderReader.TryRead(V2(0x20, 0x00, []), out var header, out var consumed, out _));
        Assert.Null(header.Source);
        Assert.Equal(16, consumed);
    }

    [Theory]
    [InlineData(0x11)]
    [InlineData(0x22)]
    public void AV2HeaderWithABadVersionOrCommandIsInvalid(byte versionAndCommand) =>
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeaderReader.TryRead(V2(versionAndCommand, 0x11, new byte[12]), out _, out _, out _));

    [Fact]
    public void AV2AddressBlockTooShortForItsFamilyIsInvalid() =>
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeaderReader.TryRead(V2(0x21, 0x11, new byte[8]), out _, out _, out _));

    [Fact]
    public void AV2HeaderIsJudgedOnItsAnnouncedLengthBeforeItsBytesArrive()
    {
        byte[] huge = [.. s_v2Signature, 0x21, 0x11, 0xFF, 0xFF];

        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeaderReader.TryRead(huge, out _, out _, out var error));
        Assert.Contains("above", error, StringComparison.Ordinal);
        Assert.Equal(ProxyHeaderStatus.Incomplete, ProxyHeaderReader.TryRead(V2(0x21, 0x11, new byte[12])[..20], out _, out _, out _));
        Assert.Equal(ProxyHeaderStatus.Incomplete, ProxyHeaderReader.TryRead(s_v2Signature[..5], out _, out _, out _));
    }

    private static byte[] V2(byte versionAndCommand, byte familyAndTransport, byte[] block, byte[]? trailing = null) =>
        [.. s_v2Signature, versionAndCommand, familyAndTransport, (byte)(block.Length >> 8), (byte)block.Length, .. block, .. trailing ?? []];
}
