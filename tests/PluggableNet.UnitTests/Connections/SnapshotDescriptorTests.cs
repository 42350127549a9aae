using System.Net.Sockets;
using PluggableNet.Server.Connections.Handover;
using PluggableNet.Server.Interop;

namespace PluggableNet.UnitTests.Connections;

/// <summary>
/// A connection moved there and back within one process must not get a descriptor number it had before on a Sockets
/// transport: the runtime's epoll still holds that number's registration (a registration lives while any duplicate of
/// the socket is open), and a socket created on it again would collide with it (the likely cause of RoundTripMoveTests' Sockets stalls).
/// </summary>
public sealed class SnapshotDescriptorTests
{
    [Fact]
    public void TheDuplicateSkipsTheNumbersTheConnectionHadBefore()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var a = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var source = Libc.fcntl((int)a.SafeHandle.DangerousGetHandle(), Libc.F_DUPFD_CLOEXEC, 0);
        Assert.True(source >= 0);

        // The number the next duplicate would get, and the one after it: both to be avoided.
        var first = Libc.fcntl(source, Libc.F_DUPFD_CLOEXEC, 0);
        var second = Libc.fcntl(source, Libc.F_DUPFD_CLOEXEC, 0);
        Libc.close(first);
        Libc.close(second);

        using var snapshot = new ConnectionSnapshot { Socket = new Microsoft.Win32.SafeHandles.SafeFileHandle(source, ownsHandle: true), DescriptorsToAvoid = [first, second] };
        var taken = snapshot.TakeSocket();
        try
        {
            Assert.DoesNotContain(taken, new[] { first, second });
            Assert.Null(snapshot.Socket);
        }
        finally
        {
            Libc.close(taken);
        }
    }
}
