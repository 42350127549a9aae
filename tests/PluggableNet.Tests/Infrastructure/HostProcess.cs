namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// The built host run as a real process (<c>dotnet PluggableNet.Host.dll ...</c>), its output captured. Whatever
/// happens, the process (and any child still attached to it) is killed on dispose or when its deadline passes.
/// A thin layer over the shared <see cref="ChildProcess"/> that knows where the host is.
/// </summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromSeconds(25);

    // A safety net only: no test runs a host this long, and none may outlive the test run.
    private static readonly TimeSpan s_deadline = TimeSpan.FromMinutes(10);
    private readonly ChildProcess _process;

    private HostProcess(ChildProcess process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => _process.Output;

    public string Error => _process.Error;

    /// <summary>Starts <c>dotnet HostDll <paramref name="arguments"/></c> (or <paramref name="fileName"/> with them) with stdin closed.</summary>
    public static HostProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? fileName = null)
    {
        var process = ChildProcess.Start(
            fileName ?? ChildProcess.Dotnet,
            fileName is null ? [TestPaths.HostDll, .. arguments] : arguments,
            environment?.Select(e => KeyValuePair.Create(e.Key, (string?)e.Value)),
            TestPaths.HostOutput,
            deadline: s_deadline);
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
        var exitCode = await _process.WaitForExitAsync(timeout ?? s_defaultTimeout);
        return new HostResult(exitCode, Output, Error);
    }

    /// <summary>Waits until the output (stdout or stderr) contains <paramref name="text"/>.</summary>
    public Task WaitForOutputAsync(string text, TimeSpan? timeout = null) => _process.WaitForOutputAsync(text, timeout ?? Wait.Default);

    public void Kill() => _process.Kill();

    public override string ToString() => _process.ToString();

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}

/// <summary>How a host process ended: its exit code and everything it printed.</summary>
internal sealed record HostResult(int ExitCode, string Output, string Error)
{
    public string All => Output + Error;

    public override string ToString() => $"exit {ExitCode}; stdout: {Output.Trim()}; stderr: {Error.Trim()}";
}
