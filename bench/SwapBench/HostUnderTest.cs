using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace PluggableNet.Bench.SwapBench;

/// <summary>
/// The real host as a child process, serving plugin <c>Bench</c> from a temporary plugins folder with hot reload on
/// and default debounce timings, observed through its control socket. Killed on dispose.
/// </summary>
internal sealed class HostUnderTest : IDisposable
{
    private readonly Process _process;
    private readonly string _controlSocket;

    private HostUnderTest(Process process, string controlSocket, int port)
    {
        _process = process;
        _controlSocket = controlSocket;
        Port = port;
    }

    public int Port { get; }

    public static async Task<HostUnderTest> StartAsync(string hostDll, string pluginsPath, string controlSocket)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(hostDll)!,
        };
        foreach (var argument in new[]
        {
            hostDll,
            "--Server:Address=127.0.0.1",
            "--Server:Port=0",
            $"--Logic:PluginsPath={pluginsPath}",
            "--Logic:Plugin=Bench",
            "--Logic:HotReload=true",
            $"--Control:Socket={controlSocket}",
            "--Serilog:MinimumLevel:Default=Warning",
        })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, e) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"host: {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The host exited with code {process.ExitCode} before listening.");
            }

            if (await StatusAsync(controlSocket) is { } status)
            {
                return new HostUnderTest(process, controlSocket, status.GetProperty("port").GetInt32());
            }

            await Task.Delay(100);
        }

        process.Kill(entireProcessTree: true);
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

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }
}
