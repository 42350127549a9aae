using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PluggableNet.Bench.Driver;

/// <summary>
/// A server running as a child process (<c>dotnet server.dll ...</c>) on a loopback port.
/// Disposing kills the whole process tree, so a failed run never leaves servers behind.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private const int KeptOutputLines = 40;

    private readonly Process _process;
    private readonly Queue<string> _output = new();

    private ServerProcess(Process process, int port, string controlSocket)
    {
        _process = process;
        Port = port;
        ControlSocket = controlSocket;
    }

    public int Port { get; }

    public string ControlSocket { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the server on a free port and waits until it accepts TCP connections.</summary>
    public static async Task<ServerProcess> StartAsync(ServerDefinition server, TimeSpan readyTimeout, CancellationToken cancellationToken)
    {
        if (!File.Exists(server.Dll))
        {
            throw new FileNotFoundException($"The {server.Name} server is not built: {server.Dll}", server.Dll);
        }

        var port = FreePort.Next();
        var controlSocket = Path.Combine(Path.GetTempPath(), $"pluggablenet-bench-{Environment.ProcessId}-{server.Name}-{port}.sock");
        var startInfo = new ProcessStartInfo(DotnetHost.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(server.Dll)!,
        };
        startInfo.ArgumentList.Add(server.Dll);
        foreach (var argument in server.Arguments(port, controlSocket))
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {server.Name}.");
        var child = new ServerProcess(process, port, controlSocket);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await child.WaitUntilListeningAsync(readyTimeout, cancellationToken).ConfigureAwait(false);
            return child;
        }
        catch
        {
            child.Dispose();
            throw;
        }
    }

    /// <summary>Queries the control channel; null when the server has none or it does not answer.</summary>
    public ControlStatus? Status() => ControlClient.TryQuery(ControlSocket, TimeSpan.FromSeconds(2));

    /// <summary>The last lines the server printed, for error messages.</summary>
    public string RecentOutput()
    {
        lock (_output)
        {
            return string.Join(Environment.NewLine, _output);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            _process.Dispose();
            TryDelete(ControlSocket);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    private async Task WaitUntilListeningAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {_process.ExitCode} before listening:{Environment.NewLine}{RecentOutput()}");
            }

            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), cancellationToken).ConfigureAwait(false);
                await WaitForControlChannelAsync(deadline, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }

        throw new TimeoutException($"The server did not listen on port {Port} within {timeout.TotalSeconds:F0} s:{Environment.NewLine}{RecentOutput()}");
    }

    // The control channel may come up just after the listener; give it a moment, but never require it.
    private async Task WaitForControlChannelAsync(long deadline, CancellationToken cancellationToken)
    {
        var controlDeadline = Math.Min(deadline, Stopwatch.GetTimestamp() + (2 * Stopwatch.Frequency));
        while (Status() is null && Stopwatch.GetTimestamp() < controlDeadline)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > KeptOutputLines)
            {
                _output.Dequeue();
            }
        }
    }
}
