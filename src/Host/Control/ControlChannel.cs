using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using PluggableNet.Host.Os;
using PluggableNet.Server;
using PluggableNet.Server.Interop;

namespace PluggableNet.Host.Control;

/// <summary>
/// A Unix domain socket that answers one-line commands from the local operator tools: <c>status</c> returns
/// the <see cref="ServerStatus"/> as one JSON line. The socket file is readable and writable by its owner only.
/// </summary>
internal sealed class ControlChannel : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly string _path;
    private readonly Func<ServerStatus> _status;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private readonly Func<string, CancellationToken, Task<ControlAnswer>>? _commands;
    private int _disposed;
    private volatile bool _released;

    /// <param name="path">The socket's path.</param>
    /// <param name="status">The status a <c>status</c> command returns.</param>
    /// <param name="logger">For clients that drop.</param>
    /// <param name="commands">Any other command (such as <c>upgrade</c>), answered without the 5 s limit of <c>status</c>.</param>
    public ControlChannel(string path, Func<ServerStatus> status, ILogger logger, Func<string, CancellationToken, Task<ControlAnswer>>? commands = null)
    {
        _path = Path.GetFullPath(path);
        _status = status;
        _commands = commands;
        _logger = logger;
        PrivatePaths.EnsureDirectory(Path.GetDirectoryName(_path)!);
        ClaimPath(_path);

        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(_path));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        _listener.Listen(16);
        _loop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>
    /// Frees <paramref name="path"/> for our socket only when nothing there is worth keeping, as nginx does: nothing at
    /// all, or a stale socket (nobody listening: a host that died). A live socket is another host's (address in use);
    /// any other file is not ours to delete. Either refuses to start.
    /// </summary>
    private static void ClaimPath(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            if (File.Exists(path))
            {
                File.Delete(path);
            }

            return;
        }

        if (PrivatePaths.SharedDirectoryProblem(path) is { } problem)
        {
            throw new ConfigurationException([$"Control:Socket: {problem}."]);
        }

        if (!Libc.TryLStat(path, out var mode, out _))
        {
            var errno = Libc.LastError;
            if (errno == Libc.ENOENT)
            {
                return;
            }

            throw new ConfigurationException([$"Control:Socket: {path} cannot be checked: {Libc.Describe(errno)}."]);
        }

        if ((mode & Libc.S_IFMT) != Libc.S_IFSOCK)
        {
            throw new ConfigurationException([$"Control:Socket: {path} exists and is not a socket; refusing to replace it (remove it, or choose another path)."]);
        }

        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
            }
            catch (SocketException exception) when (exception.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // Nobody listens: the socket of a host that is gone.
                File.Delete(path);
                return;
            }
            catch (SocketException exception)
            {
                throw new SocketException((int)SocketError.AddressAlreadyInUse, $"Control:Socket {path}: address already in use ({exception.Message})");
            }
        }

        throw new SocketException((int)SocketError.AddressAlreadyInUse, $"Control:Socket {path}: address already in use (another process answers there)");
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                var buffer = new byte[4096];
                var length = 0;
                while (length < buffer.Length && Array.IndexOf(buffer, (byte)'\n', 0, length) < 0)
                {
                    var read = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    length += read;
                }

                var command = Encoding.UTF8.GetString(buffer, 0, length).Trim();
                ControlAnswer answer = command == "status"
                    ? new(JsonSerializer.Serialize(_status(), HostStatusJson.Default.ServerStatus))
                    : _commands is not null && !command.StartsWith("status", StringComparison.Ordinal)
                        ? await _commands(command, CancellationToken.None).ConfigureAwait(false)
                        : new("{\"error\":\"unknown command; try status\"}");

                // The reply goes out even when the command released this socket's path (an upgrade): it is our client's.
                // What follows the reply happens even if the client is gone (a handed-over host must still drain).
                try
                {
                    using var sendTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await client.SendAsync(Encoding.UTF8.GetBytes(answer.Line + "\n"), SocketFlags.None, sendTimeout.Token).ConfigureAwait(false);
                }
                finally
                {
                    answer.AfterReply?.Invoke();
                }
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException)
            {
                _logger.LogDebug("Control client dropped: {Error}", exception.Message);
            }
        }
    }

    /// <summary>Asks a running host for its status; null if nothing answers at <paramref name="path"/>.</summary>
    public static async Task<ServerStatus?> QueryAsync(string path, TimeSpan timeout) =>
        (await QueryWithPeerAsync(path, timeout).ConfigureAwait(false)).Status;

    /// <summary>
    /// As <see cref="QueryAsync"/>, with the pid of the process that answered as the kernel tells it (SO_PEERCRED on
    /// Linux; null elsewhere): a verb that signals the pid a status names checks first that it is the one answering.
    /// </summary>
    public static async Task<(ServerStatus? Status, int? PeerPid)> QueryWithPeerAsync(string path, TimeSpan timeout)
    {
        try
        {
            using var cancellation = new CancellationTokenSource(timeout);
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellation.Token).ConfigureAwait(false);
            var peer = PeerPid(socket);
            await socket.SendAsync("status\n"u8.ToArray(), SocketFlags.None, cancellation.Token).ConfigureAwait(false);
            using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var line = await reader.ReadLineAsync(cancellation.Token).ConfigureAwait(false);
            return (line is null ? null : JsonSerializer.Deserialize(line, HostStatusJson.Default.ServerStatus), peer);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException or IOException or JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>The pid in the peer's <c>struct ucred</c> (pid, uid, gid: three 32-bit integers), or null off Linux.</summary>
    private static int? PeerPid(Socket socket)
    {
        const int SolSocket = 1;
        const int SoPeerCred = 17;
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        Span<byte> credentials = stackalloc byte[12];
        return socket.GetRawSocketOption(SolSocket, SoPeerCred, credentials) >= 4
            ? System.Runtime.InteropServices.MemoryMarshal.Read<int>(credentials)
            : null;
    }

    /// <summary>
    /// Stops answering and leaves the path to the host that upgrades this one (it finds nobody listening there and
    /// binds its own socket); this channel's dispose then deletes nothing. Commands being answered finish.
    /// </summary>
    public void Release()
    {
        _released = true;
        _listener.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        _listener.Dispose();
        await _loop.ConfigureAwait(false);
        try
        {
            if (!_released)
            {
                File.Delete(_path);
            }
        }
        catch (IOException)
        {
            // Best effort: a stale socket file is replaced at the next start.
        }

        _stopping.Dispose();
    }
}
