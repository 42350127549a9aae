using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace PluggableNet.Bench.SwapBench;

/// <summary>
/// The real host as a child process, serving plugin <c>Bench</c> from a temporary plugins folder with hot reload on
/// and default debounce timings, observed through its control socket. Started through the shared
/// <see cref="ChildProcess"/>; its process tree is killed on dispose.
/// </summary>
internal sealed class HostUnderTest : IDisposable
{
    private readonly ChildProcess _process;
    private readonly string _controlSocket;

    private HostUnderTest(ChildProcess process, string controlSocket, int port)
    {
        _process = process;
        _controlSocket = controlSocket;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Starts the host with <paramref name="configFile"/> (which names the plugin, so a config switch can change it).</summary>
    public static async Task<HostUnderTest> StartAsync(string hostDll, string pluginsPath, string controlSocket, string configFile)
    {
        var process = ChildProcess.StartDotnet(
            hostDll,
            [
                "--config",
                configFile,
                "--Server:Address=127.0.0.1",
                "--Server:Port=0",
                $"--Logic:PluginsPath={pluginsPath}",
                "--Logic:HotReload=true",
                $"--Control:Socket={controlSocket}",
                "--Serilog:MinimumLevel:Default=Warning",
            ],
            captureLimit: 64 * 1024,
            onLine: static (line, isError) =>
            {
                if (isError)
                {
                    Console.Error.WriteLine($"host: {line}");
                }
            });

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited)
            {
                var exitCode = process.ExitCode;
                process.Dispose();
                throw new InvalidOperationException($"The host exited with code {exitCode} before listening.");
            }

            if (await StatusAsync(controlSocket) is { } status)
            {
                return new HostUnderTest(process, controlSocket, status.GetProperty("port").GetInt32());
            }

            await Task.Delay(100);
        }

        process.Dispose();
        throw new TimeoutException("The host did not answer on its control socket within 30 s.");
    }

    /// <summary>Swaps done so far, from the control socket.</summary>
    public async Task<int> SwapsAsync() =>
        await StatusAsync(_controlSocket) is { } status ? status.GetProperty("swaps").GetInt32() : -1;

    private static async Task<JsonElement?> StatusAsync(string path)
    {
        try
        {
            using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellation.Token);
            await socket.SendAsync("status\n"u8.ToArray(), SocketFlags.None, cancellation.Token);
            using var reader = new StreamReader(new NetworkStream(socket, ownsSocket: false), Encoding.UTF8);
            var line = await reader.ReadLineAsync(cancellation.Token);
            return line is null ? null : JsonDocument.Parse(line).RootElement.Clone();
        }
        catch (Exception exception) when (exception is SocketException or IOException or OperationCanceledException or JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _process.Dispose();
}
