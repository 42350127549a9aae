using System.Net;
using System.Runtime.InteropServices;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// A real host process on 127.0.0.1 and a free port, with a control socket in its own temp folder, as an operator
/// runs it: optionally under <c>prlimit</c>, signalled with real signals, its status read from the control socket.
/// </summary>
internal sealed partial class RunningHost : IAsyncDisposable
{
    public const int Sighup = 1;
    public const int Sigterm = 15;

    private readonly string _folder;

    private RunningHost(HostProcess process, string folder, int port)
    {
        Process = process;
        _folder = folder;
        Port = port;
    }

    public HostProcess Process { get; }

    public int Port { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    public string ControlSocket => Path.Combine(_folder, "control.sock");

    /// <summary>
    /// Starts the host with <paramref name="arguments"/> on <paramref name="transport"/> and waits for its listening line.
    /// <paramref name="openFiles"/> runs it as <c>prlimit --nofile=SOFT:HARD -- dotnet Host.dll …</c>.
    /// </summary>
    public static async Task<RunningHost> StartAsync(string transport, IEnumerable<string> arguments, (int Soft, int Hard)? openFiles = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var folder = TestPaths.NewTempDirectory("pnet-run");
        List<string> all =
        [
            "--Server:Address=127.0.0.1",
            "--Server:Port=0",
            $"--Server:Transport={transport}",
            "--Logic:HotReload=false",
            $"--Control:Socket={Path.Combine(folder, "control.sock")}",
            .. arguments,
        ];
        var process = openFiles is { } limit
            ? HostProcess.Start(["--nofile=" + limit.Soft + ":" + limit.Hard, "--", "dotnet", TestPaths.HostDll, .. all], fileName: "prlimit")
            : HostProcess.Start(all, environment);
        try
        {
            ListeningLine? line = null;
            await Wait.UntilAsync(() => (line = ListeningLine.Find(process.Output)) is not null, TimeSpan.FromSeconds(20), $"listening line; got: {process.Output}{process.Error}");
            return new RunningHost(process, folder, line!.Port);
        }
        catch
        {
            await process.DisposeAsync();
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    public FrameClient Connect() => FrameClient.Connect(EndPoint);

    /// <summary>
    /// Sends <paramref name="signal"/> as an operator would, right away: by its listening line the host handles SIGHUP
    /// and SIGTERM (the reload trigger takes SIGHUP over before the server starts).
    /// </summary>
    public Task SignalAsync(int signal)
    {
        Assert.Equal(0, kill(Process.Id, signal));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Sets the running host's open-files limit, as <c>prlimit --pid PID --nofile=SOFT:HARD</c> does (the same system
    /// call, so no tool is needed): the limit changes under the host while it serves.
    /// </summary>
    public void SetOpenFilesLimit(int soft, int hard)
    {
        var limit = new Rlimit { Current = (ulong)soft, Maximum = (ulong)hard };
        Assert.True(prlimit(Process.Id, RlimitNofile, in limit, 0) == 0, $"prlimit failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Queries <c>status</c> until <paramref name="condition"/> holds.</summary>
    public async Task<ServerStatus> StatusAsync(Func<ServerStatus, bool> condition, TimeSpan? timeout = null)
    {
        ServerStatus? status = null;
        await Wait.UntilAsync(
            async () =>
            {
                status = await ControlChannel.QueryAsync(ControlSocket, TimeSpan.FromSeconds(1));
                return status is not null && condition(status);
            },
            timeout ?? TimeSpan.FromSeconds(20),
            $"host status; last: {status}; output: {Process.Output}{Process.Error}");
        return status!;
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    private const int RlimitNofile = 7;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prlimit(int pid, int resource, in Rlimit newLimit, nint oldLimit);

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
