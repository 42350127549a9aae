using System.Diagnostics;
using System.Net;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Service;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Service;

/// <summary>
/// One test's private service: its own directory for the pidfile, control socket and logs, a loopback listener on
/// a free port, and a guarantee that any host it started is killed (-9) when the test ends, pass or fail.
/// </summary>
internal sealed class ServiceSandbox : IAsyncDisposable
{
    private readonly HashSet<int> _started = [];

    public ServiceSandbox()
    {
        Directory = TestPaths.NewTempDirectory("pnet-svc");
    }

    public string Directory { get; }

    public string PidFile => Path.Combine(Directory, "pluggablenet.pid");

    public string ControlSocket => Path.Combine(Directory, "pluggablenet.sock");

    public string ConsoleFile => Path.Combine(Directory, "pluggablenet.out");

    /// <summary>The contents of every rolled log file in the sandbox.</summary>
    public string Log => string.Join(
        Environment.NewLine,
        System.IO.Directory.GetFiles(Directory, "pluggablenet*.log").Order(StringComparer.Ordinal).Select(ReadShared));

    /// <summary><c>verb --pidfile … --Server:Address=127.0.0.1 --Server:Port=0</c> plus <paramref name="extra"/>.</summary>
    public string[] Args(string verb, params string[] extra) =>
        [verb, "--pidfile", PidFile, "--Server:Address=127.0.0.1", "--Server:Port=0", .. extra];

    /// <summary>Runs one verb to completion; remembers any pid it reports so the sandbox can clean it up.</summary>
    public async Task<HostResult> RunAsync(string verb, params string[] extra)
    {
        var result = await HostProcess.RunAsync(Args(verb, extra));
        Remember();
        return result;
    }

    public int? ReadPid() => Host.Service.PidFile.ReadPid(PidFile);

    public Task<ServerStatus?> StatusAsync() => ControlChannel.QueryAsync(ControlSocket, TimeSpan.FromSeconds(2));

    public async Task<IPEndPoint> EndPointAsync()
    {
        var status = await StatusAsync() ?? throw new InvalidOperationException("The host does not answer status.");
        return new IPEndPoint(IPAddress.Loopback, status.Port);
    }

    public static bool IsAlive(int pid) => HostProcessProbe.IsAlive(pid);

    public async ValueTask DisposeAsync()
    {
        Remember();
        foreach (var pid in _started)
        {
            if (HostProcessProbe.IsRunningHost(pid))
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                }
                catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
                {
                    // Exited meanwhile.
                }
            }
        }

        await Wait.UntilAsync(() => _started.All(pid => !HostProcessProbe.IsAlive(pid)), TimeSpan.FromSeconds(10), "sandbox hosts exit");
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }

    /// <summary>Records the pid in the pidfile now, so a host started by any route is cleaned up.</summary>
    public void Remember()
    {
        if (ReadPid() is { } pid)
        {
            _started.Add(pid);
        }
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
