using System.Net;
using System.Net.Sockets;
using PluggableNet.Server.Interop;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Interop;

/// <summary>
/// <c>sockaddr_in</c>/<c>sockaddr_in6</c> as Linux lays them out, checked three ways: against bytes written out by
/// hand, against the runtime's own <see cref="SocketAddress"/>, and against addresses the kernel really filled in
/// (the sender of a datagram, read with <see cref="Socket.ReceiveFrom(Span{byte}, SocketFlags, SocketAddress)"/>).
/// </summary>
public sealed class SocketAddressCodecTests
{
    private const byte AfInet = 2;
    private const byte AfInet6 = 10;
    private const byte AfUnix = 1;

    [Fact]
    public void AnIPv4EndPointIsWrittenAsSockaddrIn()
    {
        var destination = Garbage();

        var length = SocketAddressCodec.Write(new IPEndPoint(IPAddress.Parse("192.168.1.20"), 0x1F90), destination);

        Assert.Equal(16, length);
        byte[] expected = [AfInet, 0, 0x1F, 0x90, 192, 168, 1, 20, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Equal(expected, destination[..16]);
    }

    [Fact]
    public void AnIPv6EndPointIsWrittenAsSockaddrIn6WithItsScope()
    {
        var destination = Garbage();

        var length = SocketAddressCodec.Write(new IPEndPoint(IPAddress.Parse("fe80::1:2%7"), 443), destination);

        Assert.Equal(28, length);
        byte[] expected =
        [
            AfInet6, 0, 0x01, 0xBB, 0, 0, 0, 0, // family, port, flow info
            0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0x02, // address
            7, 0, 0, 0, // scope id
        ];
        Assert.Equal(expected, destination[..28]);
    }

    [Theory]
    [InlineData("127.0.0.1", 9090)]
    [InlineData("0.0.0.0", 0)]
    [InlineData("255.255.255.255", 65535)]
    [InlineData("::1", 9090)]
    [InlineData("::", 1)]
    [InlineData("2001:db8::8a2e:370:7334", 40000)]
    [InlineData("fe80::1%3", 22)]
    [InlineData("::ffff:10.1.2.3", 8080)]
    public void WhatIsWrittenIsWhatTheRuntimeWouldPassTheKernelAndReadsBack(string address, int port)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(address), port);
        var destination = new byte[SocketAddressCodec.MaxLength];

        var length = SocketAddressCodec.Write(endPoint, destination);

        var runtime = endPoint.Serialize();
        Assert.Equal(runtime.Size, length);
        Assert.Equal(runtime.Buffer.Span[..runtime.Size].ToArray(), destination[..length]);
        Assert.Equal(endPoint, SocketAddressCodec.Read(destination.AsSpan(0, length)));
    }

    [Fact]
    public void AnIPv4AddressFilledInByTheKernelIsRead()
    {
        var (sender, kernel) = ReceiveOneDatagram(AddressFamily.InterNetwork, IPAddress.Loopback, IPAddress.Loopback);

        var read = SocketAddressCodec.Read(kernel);

        Assert.Equal(sender, read);
    }

    [IPv6Fact]
    public void AnIPv6AddressFilledInByTheKernelIsRead()
    {
        var (sender, kernel) = ReceiveOneDatagram(AddressFamily.InterNetworkV6, IPAddress.IPv6Loopback, IPAddress.IPv6Loopback);

        var read = SocketAddressCodec.Read(kernel);

        Assert.Equal(sender, read);
    }

    [IPv6Fact]
    public void AnIPv4PeerOfADualModeSocketIsReadAsAV4MappedIPv6Address()
    {
        var (sender, kernel) = ReceiveOneDatagram(AddressFamily.InterNetwork, IPAddress.Loopback, IPAddress.IPv6Any);

        var read = SocketAddressCodec.Read(kernel);

        Assert.NotNull(read);
        Assert.Equal(AddressFamily.InterNetworkV6, read.AddressFamily);
        Assert.True(read.Address.IsIPv4MappedToIPv6, read.ToString());
        Assert.Equal(sender.Address, read.Address.MapToIPv4());
        Assert.Equal(sender.Port, read.Port);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(AfUnix)]
    [InlineData(17)]
    [InlineData(0xFF)]
    public void AnUnknownFamilyReadsAsNoEndPoint(byte family)
    {
        var source = new byte[SocketAddressCodec.MaxLength];
        SocketAddressCodec.Write(new IPEndPoint(IPAddress.Loopback, 80), source);
        source[0] = family;

        Assert.Null(SocketAddressCodec.Read(source));
    }

    [Fact]
    public void ATruncatedSockaddrInReadsAsNoEndPoint()
    {
        var source = new byte[SocketAddressCodec.MaxLength];
        var length = SocketAddressCodec.Write(new IPEndPoint(IPAddress.Loopback, 80), source);

        for (var truncated = 0; truncated < length; truncated++)
        {
            Assert.Null(SocketAddressCodec.Read(source.AsSpan(0, truncated)));
        }

        Assert.NotNull(SocketAddressCodec.Read(source.AsSpan(0, length)));
    }

    [Fact]
    public void ATruncatedSockaddrIn6ReadsAsNoEndPoint()
    {
        var source = new byte[SocketAddressCodec.MaxLength];
        var length = SocketAddressCodec.Write(new IPEndPoint(IPAddress.IPv6Loopback, 80), source);

        // Long enough for a sockaddr_in, too short for the IPv6 address and scope it announces.
        for (var truncated = 0; truncated < length; truncated++)
        {
            Assert.Null(SocketAddressCodec.Read(source.AsSpan(0, truncated)));
        }

        Assert.NotNull(SocketAddressCodec.Read(source.AsSpan(0, length)));
    }

    private static byte[] Garbage()
    {
        var bytes = new byte[SocketAddressCodec.MaxLength + 4];
        bytes.AsSpan().Fill(0xEE);
        return bytes;
    }

    /// <summary>
    /// Sends one datagram from a socket bound to <paramref name="from"/> to one bound to <paramref name="to"/>
    /// (dual-mode when that is <see cref="IPAddress.IPv6Any"/>); returns the sender's end point and the raw
    /// source address the kernel reported to the receiver.
    /// </summary>
    private static (IPEndPoint Sender, byte[] Kernel) ReceiveOneDatagram(AddressFamily senderFamily, IPAddress from, IPAddress to)
    {
        using var receiver = new Socket(to.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (to.Equals(IPAddress.IPv6Any))
        {
            receiver.DualMode = true;
        }

        receiver.Bind(new IPEndPoint(to, 0));
        receiver.ReceiveTimeout = 10_000;
        using var sender = new Socket(senderFamily, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(from, 0));
        var target = to.Equals(IPAddress.IPv6Any) ? IPAddress.Loopback : to;
        sender.SendTo("ping"u8, new IPEndPoint(target, ((IPEndPoint)receiver.LocalEndPoint!).Port));

        var source = new SocketAddress(receiver.AddressFamily);
        var buffer = new byte[16];
        Assert.Equal(4, receiver.ReceiveFrom(buffer, SocketFlags.None, source));
        return ((IPEndPoint)sender.LocalEndPoint!, source.Buffer.Span[..source.Size].ToArray());
    }
}
