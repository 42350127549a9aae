using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// A real HAProxy (<c>haproxy -db</c>, foreground) running the shipped <c>deploy/haproxy/haproxy.cfg</c> with only
/// what must differ on a test machine substituted: the runtime API socket (a temp path), the frontend's bind (a free
/// loopback port) and the server lines (the test's hosts). Its runtime API is read over the unix socket directly.
/// </summary>
internal sealed class HaproxyProcess : IAsyncDisposable
{
    public const string Backend = "pluggablenet";

    private const string ShippedSocket = "/run/haproxy/pluggablenet.sock";
    private const string ShippedBind = "bind 0.0.0.0:9090";

    private readonly ChildProcess _process;

    private HaproxyProcess(ChildProcess process, string folder, int port)
    {
        _process = process;
        Folder = folder;
        Port = port;
    }

    public static string ShippedConfig => Path.Combine(TestPaths.RepoRoot, "deploy", "haproxy", "haproxy.cfg");

    public static string RollingUpdateScript => Path.Combine(TestPaths.RepoRoot, "deploy", "haproxy", "rolling-update.sh");

    public string Folder { get; }

    public string Socket => Path.Combine(Folder, "haproxy.sock");

    public int Port { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    public string Output => _process.Output + _process.Error;

    /// <summary>
    /// The shipped configuration with the socket, the bind and the servers substituted; <paramref name="serverOptions"/>
    /// is added to each server line (e.g. <c>send-proxy-v2</c>).
    /// </summary>
    public static string Configure(string socket, int port, IEnumerable<(string Name, int Port)> servers, string serverOptions = "")
    {
        var shipped = File.ReadAllText(ShippedConfig);
        Assert.Contains(ShippedSocket, shipped, StringComparison.Ordinal);
        Assert.Contains(ShippedBind, shipped, StringComparison.Ordinal);
        var lines = shipped.Replace(ShippedSocket, socket, StringComparison.Ordinal)
            .Replace(ShippedBind, $"bind 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal)
            .Split('\n')
            .Where(l => !l.TrimStart().StartsWith("server ", StringComparison.Ordinal))
            .ToList();
        Assert.True(lines.Count < shipped.Split('\n').Length, "the shipped haproxy.cfg has no server lines to replace");
        lines.AddRange(servers.Select(s => $"    server {s.Name} 127.0.0.1:{s.Port.ToString(CultureInfo.InvariantCulture)} check {serverOptions}".TrimEnd()));
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>Starts HAProxy in front of <paramref name="servers"/> and waits until it sees every one of them up.</summary>
    public static async Task<HaproxyProcess> StartAsync(IReadOnlyList<(string Name, int Port)> servers, string serverOptions = "")
    {
        var folder = TestPaths.NewTempDirectory("pnet-haproxy");
        var port = SupervisedHost.FreePort();
        var config = Path.Combine(folder, "haproxy.cfg");
        await File.WriteAllTextAsync(config, Configure(Path.Combine(folder, "haproxy.sock"), port, servers, serverOptions));
        var process = ChildProcess.Start("haproxy", ["-db", "-f", config], captureLimit: 200_000, deadline: TimeSpan.FromMinutes(5));
        var haproxy = new HaproxyProcess(process, folder, port);
        try
        {
            await Wait.UntilAsync(() => File.Exists(haproxy.Socket) || process.HasExited, TimeSpan.FromSeconds(15), "HAProxy's runtime API socket");
            Assert.False(process.HasExited, $"HAProxy exited: {haproxy.Output}");
            await haproxy.WaitUntilAsync(states => states.Count == servers.Count && states.Values.All(s => s.Up), TimeSpan.FromSeconds(20), "every server up");
            return haproxy;
        }
        catch
        {
            await haproxy.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends one runtime API command and returns the answer.</summary>
    public async Task<string> CommandAsync(string command)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(Socket), timeout.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\n"), timeout.Token);
        var answer = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, timeout.Token)) > 0)
        {
            answer.Write(buffer, 0, read);
        }

        return Encoding.ASCII.GetString(answer.ToArray());
    }

    /// <summary>Each server of the backend as <c>show servers state</c> and <c>show stat</c> report it.</summary>
    public async Task<IReadOnlyDictionary<string, ServerState>> ServersAsync()
    {
        var states = ParseTable(await CommandAsync($"show servers state {Backend}"), ' ', "# be_id");
        var stats = ParseTable(await CommandAsync("show stat"), ',', "# pxname").Where(r => r["pxname"] == Backend).ToDictionary(r => r["svname"]);
        return states.ToDictionary(
            r => r["srv_name"],
            r => new ServerState(
                int.Parse(r["srv_op_state"], CultureInfo.InvariantCulture),
                int.Parse(r["srv_admin_state"], CultureInfo.InvariantCulture),
                stats.TryGetValue(r["srv_name"], out var stat) ? stat["status"] : "?",
                stats.TryGetValue(r["srv_name"], out stat) && int.TryParse(stat["scur"], CultureInfo.InvariantCulture, out var scur) ? scur : -1));
    }

    public async Task<IReadOnlyDictionary<string, ServerState>> WaitUntilAsync(Func<IReadOnlyDictionary<string, ServerState>, bool> condition, TimeSpan timeout, string what)
    {
        IReadOnlyDictionary<string, ServerState>? last = null;
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            last = await ServersAsync();
            if (condition(last))
            {
                return last;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"HAProxy: {what} not within {timeout}; servers: {string.Join(", ", last.Select(s => $"{s.Key} {s.Value}"))}");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private static List<Dictionary<string, string>> ParseTable(string text, char separator, string headerStart)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = lines.FirstOrDefault(l => l.StartsWith(headerStart, StringComparison.Ordinal))
            ?? throw new InvalidDataException($"No '{headerStart}' header in: {text}");
        var names = header[2..].Split(separator, StringSplitOptions.RemoveEmptyEntries);
        return lines.Where(l => !l.StartsWith('#') && l.Length > 1 && l != "1")
            .Select(l => l.Split(separator))
            .Where(v => v.Length >= names.Length - 1)
            .Select(v => names.Select((n, i) => (n, v: i < v.Length ? v[i] : string.Empty)).ToDictionary(p => p.n, p => p.v))
            .ToList();
    }
}

/// <summary>One server as HAProxy sees it: operational state (2 = up), admin state (0 = ready, 8 = drain, 1 = maint), status text, current sessions.</summary>
internal sealed record ServerState(int OpState, int AdminState, string Status, int Sessions)
{
    public bool Up => OpState == 2;

    public bool InRotation => OpState == 2 && AdminState == 0;
}
