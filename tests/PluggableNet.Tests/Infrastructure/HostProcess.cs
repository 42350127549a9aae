using System.Diagnostics;
using System.Text;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// The built host run as a real process (<c>dotnet PluggableNet.Host.dll ...</c>), its output captured. Whatever
/// happens, the process (and any child still attached to it) is killed on dispose or when its deadline passes.
/// </summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromSeconds(25);
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly Task _readers;

    private HostProcess(Process process)
    {
        _process = process;
        _readers = Task.WhenAll(PumpAsync(process.StandardOutput, _output), PumpAsync(process.StandardError, _error));
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    /// <summary>Starts <c>dotnet HostDll <paramref name="arguments"/></c> with stdin closed.</summary>
    public static HostProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? fileName = null)
    {
        var info = new ProcessStartInfo(fileName ?? "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = TestPaths.HostOutput,
        };
        if (fileName is null)
        {
            info.ArgumentList.Add(TestPaths.HostDll);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        process.StandardInput.Close();
        return new HostProcess(process);
    }

    /// <summary>Runs the host to completion (killing it after <paramref name="timeout"/>) and returns what it did.</summary>
    public static async Task<HostResult> RunAsync(IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        await using var host = Start(arguments);
        return await host.WaitAsync(timeout);
    }

    /// <summary>Waits for exit; on timeout kills the process and throws.</summary>
    public async Task<HostResult> WaitAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? s_defaultTimeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"The host did not exit within {timeout ?? s_defaultTimeout}. Output: {Output} Error: {Error}");
        }

        // A daemon launched by `start` inherits these pipes until it detaches; do not wait on it for long.
        await Task.WhenAny(_readers, Task.Delay(TimeSpan.FromSeconds(5)));
        return new HostResult(_process.ExitCode, Output, Error);
    }

    /// <summary>Waits until the output (stdout or stderr) contains <paramref name="text"/>.</summary>
    public Task WaitForOutputAsync(string text, TimeSpan? timeout = null) =>
        Wait.UntilAsync(() => Output.Contains(text, StringComparison.Ordinal) || Error.Contains(text, StringComparison.Ordinal), timeout, $"output contains '{text}'; got: {Output}{Error}");

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await Task.WhenAny(_readers, Task.Delay(TimeSpan.FromSeconds(5)));
        _process.Dispose();
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            lock (into)
            {
                into.Append(buffer, 0, read);
            }
        }
    }
}

/// <summary>How a host process ended: its exit code and everything it printed.</summary>
internal sealed record HostResult(int ExitCode, string Output, string Error)
{
    public string All => Output + Error;

    public override string ToString() => $"exit {ExitCode}; stdout: {Output.Trim()}; stderr: {Error.Trim()}";
}
