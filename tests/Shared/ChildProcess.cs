using System.Diagnostics;
using System.Text;

namespace PluggableNet.Testing;

/// <summary>
/// A program run as a child process for a test or a benchmark, the one way both start one: stdin closed, stdout
/// and stderr captured as they arrive, waits on what it printed or on its exit always bounded by a timeout, and
/// the whole process tree killed on dispose or when the optional deadline passes, so a failed run leaves nothing
/// behind. Linked as source into the test projects and the benchmark tools (see <c>tests/Shared/README.md</c>).
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable, IDisposable
{
    private const int RecentLineCount = 200;
    private static readonly TimeSpan s_drainBound = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly Capture _output;
    private readonly Capture _error;
    private readonly Queue<string> _recentLines = new();
    private readonly Action<string, bool>? _onLine;
    private readonly Task _readers;
    private readonly Timer? _deadline;
    private readonly object _gate = new();
    private TaskCompletionSource _changed = NewSignal();
    private int _disposed;

    private ChildProcess(Process process, int? captureLimit, Action<string, bool>? onLine, TimeSpan? deadline)
    {
        _process = process;
        _onLine = onLine;
        _output = new Capture(captureLimit);
        _error = new Capture(captureLimit);
        _readers = Task.WhenAll(PumpAsync(process.StandardOutput, _output, isError: false), PumpAsync(process.StandardError, _error, isError: true));
        if (deadline is { } after)
        {
            _deadline = new Timer(static state => ((ChildProcess)state!).Kill(), this, after, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The <c>dotnet</c> executable to start dlls with: the one running this process when possible.</summary>
    public static string Dotnet { get; } = FindDotnet();

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code; only valid once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Everything printed on stdout so far (the most recent part only, when a capture limit was given).</summary>
    public string Output => _output.Text;

    /// <summary>Everything printed on stderr so far (the most recent part only, when a capture limit was given).</summary>
    public string Error => _error.Text;

    /// <summary>
    /// Starts <paramref name="fileName"/> with <paramref name="arguments"/>. <paramref name="environment"/> adds or
    /// (with a null value) removes variables; <paramref name="captureLimit"/> bounds the characters kept per stream
    /// (the oldest are dropped) for long runs; <paramref name="onLine"/> sees every complete line as it arrives
    /// (true for stderr); after <paramref name="deadline"/> the process tree is killed whatever the caller does.
    /// </summary>
    public static ChildProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        IEnumerable<KeyValuePair<string, string?>>? environment = null,
        string? workingDirectory = null,
        int? captureLimit = null,
        Action<string, bool>? onLine = null,
        TimeSpan? deadline = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? [])
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start");
        process.StandardInput.Close();
        return new ChildProcess(process, captureLimit, onLine, deadline);
    }

    /// <summary>Starts <c>dotnet <paramref name="dll"/> <paramref name="arguments"/></c> in the dll's folder unless told otherwise.</summary>
    public static ChildProcess StartDotnet(
        string dll,
        IEnumerable<string> arguments,
        IEnumerable<KeyValuePair<string, string?>>? environment = null,
        string? workingDirectory = null,
        int? captureLimit = null,
        Action<string, bool>? onLine = null,
        TimeSpan? deadline = null) =>
        Start(Dotnet, [Path.GetFullPath(dll), .. arguments], environment, workingDirectory ?? Path.GetDirectoryName(Path.GetFullPath(dll)), captureLimit, onLine, deadline);

    /// <summary>The last <paramref name="count"/> complete lines from stdout and stderr, in the order they arrived.</summary>
    public IReadOnlyList<string> RecentLines(int count = RecentLineCount)
    {
        lock (_gate)
        {
            return _recentLines.Skip(Math.Max(0, _recentLines.Count - count)).ToList();
        }
    }

    /// <summary>
    /// The first complete line (stdout or stderr, including lines printed before the call) that satisfies
    /// <paramref name="match"/>. Throws <see cref="TimeoutException"/> after <paramref name="timeout"/>, and
    /// <see cref="InvalidOperationException"/> if the process ends without printing one.
    /// </summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        string? found = null;
        await WaitForAsync(
            () =>
            {
                lock (_gate)
                {
                    found = _output.Lines.Concat(_error.Lines).FirstOrDefault(match);
                }

                return found is not null;
            },
            timeout,
            "a matching line",
            cancellationToken).ConfigureAwait(false);
        return found!;
    }

    /// <summary>Waits until stdout or stderr contains <paramref name="text"/>; same failures as <see cref="WaitForLineAsync"/>.</summary>
    public Task WaitForOutputAsync(string text, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitForAsync(
            () => Output.Contains(text, StringComparison.Ordinal) || Error.Contains(text, StringComparison.Ordinal),
            timeout,
            $"output containing '{text}'",
            cancellationToken);

    /// <summary>
    /// Waits for the process to exit and returns its exit code; after <paramref name="timeout"/> kills the tree and
    /// throws <see cref="TimeoutException"/>. Output still in flight is read for a few seconds at most: a daemon
    /// that the child started may hold the pipes open long after the child itself is gone.
    /// </summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cancellation.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Kill();
            throw new TimeoutException($"The process did not exit within {timeout}.{Describe()}");
        }

        await Task.WhenAny(_readers, Task.Delay(s_drainBound, CancellationToken.None)).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>Kills the process and every child still attached to it; nothing happens if it already exited.</summary>
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
            // Already gone, or never fully started.
        }
        catch (Exception exception) when (exception is System.ComponentModel.Win32Exception or AggregateException)
        {
            // Exited while being killed, or a child of it did.
        }
    }

    public override string ToString() => $"pid {_process.Id}{Describe()}";

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Kill();
        _deadline?.Dispose();
        using (var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try
            {
                await _process.WaitForExitAsync(exit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Reported by whoever looks for it next; never hang a test run here.
            }
        }

        await Task.WhenAny(_readers, Task.Delay(s_drainBound, CancellationToken.None)).ConfigureAwait(false);
        _process.Dispose();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Kill();
        _deadline?.Dispose();
        _process.WaitForExit(TimeSpan.FromSeconds(10));
        Task.WhenAny(_readers, Task.Delay(s_drainBound)).Wait();
        _process.Dispose();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static string FindDotnet()
    {
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        // Set by the dotnet CLI for the processes it starts (dotnet test, dotnet run).
        var fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return string.IsNullOrEmpty(fromCli) ? "dotnet" : fromCli;
    }

    private async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            if (condition())
            {
                return;
            }

            if (_readers.IsCompleted)
            {
                var exit = _process.WaitForExit(s_drainBound) ? $" (exit code {_process.ExitCode})" : string.Empty;
                throw new InvalidOperationException($"The process ended{exit} before printing {what}.{Describe()}");
            }

            var now = Stopwatch.GetTimestamp();
            if (now >= deadline)
            {
                throw new TimeoutException($"No {what} within {timeout}.{Describe()}");
            }

            var remaining = Stopwatch.GetElapsedTime(now, deadline);

            // Wakes on new output or once both streams end (the process exited); never later than the deadline.
            await Task.WhenAny(changed, _readers, Task.Delay(remaining, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private string Describe() => $"{Environment.NewLine}stdout: {Output.Trim()}{Environment.NewLine}stderr: {Error.Trim()}";

    private async Task PumpAsync(StreamReader reader, Capture into, bool isError)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            List<string> lines;
            TaskCompletionSource changed;
            lock (_gate)
            {
                lines = into.Append(buffer.AsSpan(0, read));
                foreach (var line in lines)
                {
                    _recentLines.Enqueue(line);
                    if (_recentLines.Count > RecentLineCount)
                    {
                        _recentLines.Dequeue();
                    }
                }

                changed = _changed;
                _changed = NewSignal();
            }

            foreach (var line in lines)
            {
                _onLine?.Invoke(line, isError);
            }

            changed.TrySetResult();
        }

        // A last line without a newline still counts as a line.
        string? rest;
        lock (_gate)
        {
            rest = into.Finish();
            if (rest is not null)
            {
                _recentLines.Enqueue(rest);
            }
        }

        if (rest is not null)
        {
            _onLine?.Invoke(rest, isError);
        }
    }

    /// <summary>One stream's text and its complete lines; guarded by the owner's lock.</summary>
    private sealed class Capture(int? limit)
    {
        private readonly StringBuilder _text = new();
        private readonly StringBuilder _partial = new();
        private readonly List<string> _lines = [];
        private readonly object _textGate = new();

        public string Text
        {
            get
            {
                lock (_textGate)
                {
                    return _text.ToString();
                }
            }
        }

        public IReadOnlyList<string> Lines => _lines;

        public List<string> Append(ReadOnlySpan<char> chars)
        {
            lock (_textGate)
            {
                _text.Append(chars);
                if (limit is { } max && _text.Length > max)
                {
                    _text.Remove(0, _text.Length - max);
                }
            }

            var complete = new List<string>();
            foreach (var c in chars)
            {
                if (c == '\n')
                {
                    complete.Add(_partial.ToString().TrimEnd('\r'));
                    _partial.Clear();
                }
                else
                {
                    _partial.Append(c);
                }
            }

            Keep(complete);
            return complete;
        }

        public string? Finish()
        {
            if (_partial.Length == 0)
            {
                return null;
            }

            var last = _partial.ToString().TrimEnd('\r');
            _partial.Clear();
            Keep([last]);
            return last;
        }

        private void Keep(List<string> lines)
        {
            _lines.AddRange(lines);
            if (limit is not null && _lines.Count > RecentLineCount)
            {
                _lines.RemoveRange(0, _lines.Count - RecentLineCount);
            }
        }
    }
}
