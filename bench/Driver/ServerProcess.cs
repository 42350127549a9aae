using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PluggableNet.Bench.Driver;

/// <summary>
/// A server running as a child process (<c>dotnet server.dll ...</c> or a native executable, under <c>taskset</c> when
/// the scenario pins it) on a loopback port, started through the shared <see cref="ChildProcess"/>. Disposing kills the whole process tree, so a failed run never leaves servers
/// behind.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private const int KeptOutputLines = 40;

    // A benchmark server runs for minutes: keep the tail of what it prints, not all of it.
    private const int KeptOutputChars = 64 * 1024;

    private readonly ChildProcess _process;

    private readonly bool _hasControlChannel;

    private ServerProcess(ChildProcess process, int port, string controlSocket, bool hasControlChannel)
    {
        _process = process;
        _hasControlChannel = hasControlChannel;
        Port = port;
        ControlSocket = controlSocket;
    }

    public int Port { get; }

    public string ControlSocket { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the server on a free port and waits until it accepts TCP connections.</summary>
    public static async Task<ServerProcess> StartAsync(ServerDefinition server, Scenario scenario, string benchPluginsPath, TimeSpan readyTimeout, CancellationToken cancellationToken)
    {
        if (!File.Exists(server.Program))
        {
            throw new FileNotFoundException($"The {server.Name} server is not built: {server.Program}", server.Program);
        }

        var port = FreePort.Next();
        var controlSocket = Path.Combine(Path.GetTempPath(), $"pluggablenet-bench-{Environment.ProcessId}-{server.Name}-{port}.sock");
        var arguments = server.Arguments(new ServerLaunch(port, controlSocket, scenario, benchPluginsPath));
        List<string> command = server.IsDotnet ? [ChildProcess.Dotnet, Path.GetFullPath(server.Program), .. arguments] : [server.Program, .. arguments];
        if (scenario.IsPinned)
        {
            command = ["taskset", "-c", Pinning.ServerCpus, .. command];
        }

        var process = ChildProcess.Start(command[0], command.Skip(1), workingDirectory: Path.GetDirectoryName(Path.GetFullPath(server.Program)), captureLimit: KeptOutputChars);
        var child = new ServerProcess(process, port, controlSocket, server.HasControlChannel);
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
    public ControlStatus? Status() => _hasControlChannel ? ControlClient.TryQuery(ControlSocket, TimeSpan.FromSeconds(2)) : null;

    /// <summary>Asks for a graceful stop (SIGTERM: the host drains its connections, v2 ones end with GOAWAY).</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            _ = NativeMethods.Kill(_process.Id, NativeMethods.SigTerm);
        }
    }

    /// <summary>Waits for the server to exit after <see cref="Terminate"/>; kills it and throws after <paramref name="timeout"/>.</summary>
    public Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _process.WaitForExitAsync(timeout, cancellationToken);

    /// <summary>The last lines the server printed, for error messages.</summary>
    public string RecentOutput() => string.Join(Environment.NewLine, _process.RecentLines(KeptOutputLines));

    public void Dispose()
    {
        try
        {
            _process.Dispose();
        }
        finally
        {
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
}
