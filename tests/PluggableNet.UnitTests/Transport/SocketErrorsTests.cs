using PluggableNet.Server.Connections;
using PluggableNet.Server.Interop;
using PluggableNet.Server.Transport.Epoll;

namespace PluggableNet.UnitTests.Transport;

/// <summary>A receive or send that fails through us is the host's error; one the network or the peer causes is a reset.</summary>
public sealed class SocketErrorsTests
{
    [Theory]
    [InlineData(Libc.EBADF)]
    [InlineData(Libc.EFAULT)]
    [InlineData(Libc.EINVAL)]
    [InlineData(Libc.ENOTSOCK)]
    public void ADescriptorOrBufferThatIsNotWhatWeThinkIsAnInternalError(int errno) =>
        Assert.Equal(CloseReason.InternalError, SocketErrors.CloseReasonFor(errno));

    [Theory]
    [InlineData(104)] // ECONNRESET
    [InlineData(32)] // EPIPE
    [InlineData(110)] // ETIMEDOUT
    [InlineData(113)] // EHOSTUNREACH
    public void WhatThePeerOrTheNetworkCausesIsAReset(int errno) =>
        Assert.Equal(CloseReason.RemoteReset, SocketErrors.CloseReasonFor(errno));
}
