using System.Net.Sockets;
using System.Text;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Service;

/// <summary>
/// The host run the way a Type=notify unit runs it: as the child of a process named <c>systemd</c> (a copy of /bin/sh,
/// which is how Microsoft.Extensions.Hosting.Systemd recognises its parent) with a <c>NOTIFY_SOCKET</c> listened on here.
/// </summary>
internal sealed class SystemdStandIn : IAsyncDisposable
{
    private readonly Socket _notify;

    private SystemdStandIn(Socket notify, HostProcess host)
    {
        _notify = notify;
        Host = host;
    }

    /// <summary>The stand-in <c>systemd</c> shell, whose child is the host.</summary>
    public HostProcess Host { get; }

    /// <summary>Starts <c>run</c> on a free loopback port with the sandbox's control socket.</summary>
    public static SystemdStandIn Start(ServiceSandbox sandbox)
    {
        var notifyPath = Path.Combine(sandbox.Directory, "notify.sock");
        var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        var fakeSystemd = Path.Combine(sandbox.Directory, "systemd");
        File.Copy("/bin/sh", fakeSystemd);

        // "; exit" keeps the shell alive as the host's parent instead of exec'ing into it.
        var host = HostProcess.Start(
            ["-c", "dotnet \"$0\" \"$@\"; exit $?", TestPaths.HostDll, "run", "--Server:Address=127.0.0.1", "--Server:Port=0", $"--Control:Socket={sandbox.ControlSocket}"],
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath },
            fileName: fakeSystemd);
        return new SystemdStandIn(notify, host);
    }

    /// <summary>
    /// The next notification. Without <paramref name="timeout"/> one must come within 15 s (the test fails otherwise);
    /// with it, null when none came in that time.
    /// </summary>
    public async Task<string?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        var buffer = new byte[512];
        try
        {
            var read = await _notify.ReceiveAsync(buffer, SocketFlags.None, cancellation.Token);
            return Encoding.UTF8.GetString(buffer, 0, read);
        }
        catch (OperationCanceledException) when (timeout is not null)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        _notify.Dispose();
    }
}
