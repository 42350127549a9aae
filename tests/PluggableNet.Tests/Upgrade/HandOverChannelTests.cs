using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using PluggableNet.Host.Upgrade;
using PluggableNet.Server.Interop;
using PluggableNet.Server.Transport;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Upgrade;

/// <summary>The hand-over channel on real Unix sockets: frames, descriptors passed with SCM_RIGHTS, the peer check, the limits.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HandOverChannelTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTempDirectory("pnet-ho");

    [LinuxFact]
    public async Task AListeningSocketPassedOverTheChannelAcceptsInTheReceiver()
    {
        using var listener = new HandOverListener(_folder);
        var accepting = listener.AcceptAsync(Environment.ProcessId, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        using var client = HandOverChannel.Connect(listener.Path);
        using var server = await accepting;

        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        tcp.Listen(8);
        var sentFd = (int)tcp.SafeHandle.DangerousGetHandle();
        server.Send(HandOverKind.Listeners, HandOverMessage.Build(w => w.Write("Default")), [sentFd]);

        var message = client.Receive(TimeSpan.FromSeconds(5));
        Assert.Equal(HandOverKind.Listeners, message.Kind);
        Assert.Equal("Default", message.Reader().ReadString());
        var received = Assert.Single(message.Descriptors);
        try
        {
            // Another descriptor for the same socket: the kernel duplicated it into the receiver.
            Assert.NotEqual(sentFd, received);
            var inspected = InheritedListener.Inspect(received, out var problem);
            Assert.True(inspected is not null, problem);
            Assert.Equal(((IPEndPoint)tcp.LocalEndPoint!).Port, inspected.EndPoint.Port);

            // Received close-on-exec, so no process this one starts inherits it unknowingly.
            Assert.Equal(Libc.FD_CLOEXEC, Libc.fcntl(received, Libc.F_GETFD, 0) & Libc.FD_CLOEXEC);
        }
        finally
        {
            Libc.close(received);
        }
    }

    [LinuxFact]
    public async Task TheChannelIsPrivateAndOnlyTheStartedProcessIsAccepted()
    {
        using var listener = new HandOverListener(_folder);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(listener.Path) & (UnixFileMode)0b111_111_111);

        // We are not the process the listener waits for: our connection is closed on, and the wait goes on.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(600));
        var accepting = listener.AcceptAsync(expectedPid: Environment.ProcessId + 100_000, timeout.Token);
        using var stranger = HandOverChannel.Connect(listener.Path);
        Assert.Throws<EndOfStreamException>(() => stranger.Receive(TimeSpan.FromSeconds(5)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => accepting);
    }

    [LinuxFact]
    public async Task AFrameLargerThanTheLimitIsRefusedBeforeAnythingIsAllocated()
    {
        using var listener = new HandOverListener(_folder);
        var accepting = listener.AcceptAsync(Environment.ProcessId, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        using var raw = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        raw.Connect(new UnixDomainSocketEndPoint(listener.Path));
        using var server = await accepting;

        var header = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(header, HandOverChannel.MaxFrame + 1);
        raw.Send(header);
        Assert.Throws<InvalidDataException>(() => server.Receive(TimeSpan.FromSeconds(5)));
    }

    [LinuxFact]
    public async Task NothingWithinTheDeadlineIsATimeoutAndAClosedPeerIsTheEnd()
    {
        using var listener = new HandOverListener(_folder);
        var accepting = listener.AcceptAsync(Environment.ProcessId, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        var client = HandOverChannel.Connect(listener.Path);
        using var server = await accepting;

        Assert.Throws<TimeoutException>(() => server.Receive(TimeSpan.FromMilliseconds(300)));
        client.Send(HandOverKind.Hello, HandOverProtocol.Hello(HandOverProtocol.Version, "test"));
        Assert.Equal(HandOverKind.Hello, server.Receive(TimeSpan.FromSeconds(5)).Kind);
        client.Dispose();
        Assert.Throws<EndOfStreamException>(() => server.Receive(TimeSpan.FromSeconds(5)));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
