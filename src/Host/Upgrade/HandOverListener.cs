using System.Net.Sockets;
using PluggableNet.Host.Os;
using PluggableNet.Server.Interop;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// The old host's end of the channel before the new host connects: a Unix socket at a fresh path in a private
/// (0700) folder, itself mode 0600, that accepts only the process the old host started, as the kernel names it
/// (SO_PEERCRED: that pid and our uid). Anyone else is closed on and not counted. The path is removed once the
/// connection is made, or on dispose.
/// </summary>
internal sealed class HandOverListener : IDisposable
{
    private readonly Socket _listener;

    public HandOverListener(string folder)
    {
        PrivatePaths.EnsureDirectory(folder);
        Path = System.IO.Path.Combine(folder, $"upgrade-{Environment.ProcessId}-{Random.Shared.Next():x8}.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            _listener.Bind(new UnixDomainSocketEndPoint(Path));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            _listener.Listen(4);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Path { get; }

    /// <summary>
    /// Waits for <paramref name="expectedPid"/> to connect. Throws <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> fires first (the child exited, or the deadline passed).
    /// </summary>
    public async Task<HandOverChannel> AcceptAsync(int expectedPid, CancellationToken cancellationToken)
    {
        while (true)
        {
            var socket = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            var channel = new HandOverChannel(socket);
            var peer = channel.Peer;
            if (peer.Pid == expectedPid && peer.Uid == Libc.geteuid())
            {
                Dispose();
                return channel;
            }

            // Not the process we started: it gets nothing, not even a reason.
            channel.Dispose();
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // Best effort: the folder is private, a leftover path is harmless.
        }
    }
}
