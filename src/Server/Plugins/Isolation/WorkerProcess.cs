using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// One running worker: its process, its end of the socket pair, the requests sent and not yet answered, and the
/// thread that reads its answers (on epoll, the answers to a reactor's requests come on that reactor's own channel
/// and the reactor reads them: WorkerProcess.Channels.cs). Its death (exit, signal, or <see cref="Kill"/>) is seen once, by that thread,
/// which fails every call still waiting and reports it through <see cref="Died"/>.
/// </summary>
internal sealed partial class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly Socket _socket;
    private readonly WorkerFrameSender _sender;
    private readonly WorkerFrameReader _reader;
    private readonly WorkerStderr _stderr;
    private readonly Dictionary<uint, IWorkerCall> _calls = [];
    private readonly List<IsolatedCalls> _toWake = [];
    private readonly Lock _callsLock = new();
    private readonly ILogger _logger;
    private uint _nextId;
    private bool _dead;
    private Thread? _readerThread;
    private string? _killReason;

    private WorkerProcess(Process process, Socket socket, WorkerStderr stderr, ILogger logger, IsolationCounters counters)
    {
        Counters = counters;
        _process = process;
        _socket = socket;
        _sender = new WorkerFrameSender(socket, counters);
        _reader = new WorkerFrameReader(socket);
        _stderr = stderr;
        _logger = logger;
        Pid = process.Id;
    }

    public int Pid { get; }

    /// <summary>What the plugin said when it loaded: its version, execution, whether it is a session plugin, its build.</summary>
    public string[] Ready { get; private set; } = [];

    /// <summary>Called once, on the reader thread, when the worker is gone: with a description of how it ended.</summary>
    public Action<WorkerProcess, string>? Died { get; set; }

    public bool IsDead => Volatile.Read(ref _dead);

    /// <summary>The generation's batching counters, shared by its successive workers.</summary>
    public IsolationCounters Counters { get; }

    /// <summary>
    /// Queues <paramref name="request"/> for <paramref name="call"/> without sending it: the caller sends every request
    /// of its pass with one <see cref="Flush"/>. False if the worker is gone.
    /// </summary>
    public bool TryQueue(IWorkerCall call, ReadOnlySpan<byte> request)
    {
        // On an epoll reactor with a channel of its own, the request goes there and the reactor reads the answer.
        var channel = ChannelOfThisThread(out var reactor);
        lock (_callsLock)
        {
            if (_dead)
            {
                return false;
            }

            var id = ++_nextId;
            _calls.Add(id, call);
            // Queued inside the lock so ids reach the worker in order (an inline plugin answers in that order).
            (channel?.Sender ?? _sender).Append(WorkerFrames.Request, id, request);
        }

        if (channel is not null && channel.TryClaimWatch())
        {
            reactor!.Watch(channel);
        }

        Counters.RequestQueued();
        return true;
    }

    /// <summary>Sends what this thread queued (one write, unless another thread is sending it already).</summary>
    public void Flush() => (ChannelOfThisThread(out _)?.Sender ?? _sender).Flush();

    /// <summary>Sends <paramref name="request"/>; the returned task completes when its answer is in <paramref name="answer"/>.</summary>
    public ValueTask Send(ReadOnlyMemory<byte> request, IBufferWriter<byte> answer)
    {
        var call = WorkerCall.Rent(answer, Environment.TickCount64);
        uint id;
        lock (_callsLock)
        {
            if (_dead)
            {
                call.Fail(new PluginUnavailableException($"the plugin's worker process {Pid} is gone"));
                return call.AsValueTask();
            }

            id = ++_nextId;
            _calls.Add(id, call);
            // Queued inside the lock so ids reach the worker in order (an inline plugin answers in that order).
            _sender.Append(WorkerFrames.Request, id, request.Span);
        }

        var task = call.AsValueTask();
        _sender.Flush();
        return task;
    }

    /// <summary>How long the oldest unanswered call has waited, in milliseconds (0 if none).</summary>
    public long OldestCallAge(long now)
    {
        var oldest = now;
        lock (_callsLock)
        {
            foreach (var call in _calls.Values)
            {
                oldest = Math.Min(oldest, call.SentAtMs);
            }
        }

        return now - oldest;
    }

    /// <summary>Ends the worker with SIGKILL; <paramref name="reason"/> is how its death is described.</summary>
    public void Kill(string reason)
    {
        Interlocked.CompareExchange(ref _killReason, reason, null);
        try
        {
            _process.Kill();
        }
        catch (Exception exception) when (exception is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }

    /// <summary>Kills the worker (if it still runs) and reaps it: nothing of its code outlives this call.</summary>
    public void Dispose()
    {
        Died = null;
        Kill("retired");
        if (_readerThread is { } reader && reader != Thread.CurrentThread)
        {
            // The reader reaps the process and fails what was still waiting; then nothing of it is left.
            reader.Join(TimeSpan.FromSeconds(10));
        }
        else if (_readerThread is null)
        {
            _process.WaitForExit(5000);
            ReleaseCgroup();
            _process.Dispose();
        }

        _socket.Dispose();
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }

    private void ReadAnswers()
    {
        try
        {
            ReadUntilDeath();
        }
        catch (Exception exception)
        {
            // Never let this thread take the host down: a bug here is logged, and the worker counts as dead.
            _logger.LogError(exception, "Reading from plugin worker {Pid} failed", Pid);
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void ReadUntilDeath()
    {
        try
        {
            while (_reader.Fill())
            {
                var answers = 0;
                while (_reader.TryRead(out var kind, out var id, out var payload))
                {
                    Complete(kind, id, payload, _toWake);
                    answers++;
                }

                if (answers > 0)
                {
                    Counters.AnswersRead(answers);
                }

                // Every connection that got answers in this read gets one turn for all of them.
                WakeTouched();
            }
        }
        catch (InvalidDataException exception)
        {
            Kill($"it sent a malformed frame ({exception.Message})");
        }

        OnDeath();
    }

    private void WakeTouched()
    {
        foreach (var owner in _toWake)
        {
            owner.Wake();
        }

        _toWake.Clear();
    }

    private void OnDeath()
    {
        List<IWorkerCall> orphans;
        lock (_callsLock)
        {
            _dead = true;
            orphans = [.. _calls.Values];
            _calls.Clear();
        }

        if (!_process.WaitForExit(5000))
        {
            Kill("it closed its socket but did not exit");
            _process.WaitForExit(5000);
        }

        _stderr.WaitForEnd(TimeSpan.FromMilliseconds(500));
        ReleaseCgroup();
        var description = Describe();
        // What the client reads: how it ended, never its standard error (which may carry the plugin's internals).
        var unavailable = new PluginUnavailableException($"the plugin's worker process ended before answering: it {HowItEnded()}");
        foreach (var call in orphans)
        {
            if (call.Fail(unavailable) is { } owner && owner.MarkWake())
            {
                _toWake.Add(owner);
            }
        }

        WakeTouched();

        Died?.Invoke(this, description);
    }

    /// <summary>"exited with code 134 (SIGABRT: …)", with the reason the host killed it if it did.</summary>
    private string Describe()
    {
        var tail = _stderr.Tail();
        var how = HowItEnded();
        if (OomKilled)
        {
            how += $" ({_cgroup!.Path})";
        }

        return tail.Length == 0 ? how : $"{how}; its last lines of standard error: {tail}";
    }

    private string HowItEnded()
    {
        var code = _process.HasExited ? _process.ExitCode : -1;
        var how = code switch
        {
            WorkerMain.OutOfMemoryExitCode => $"exited with code {code} (out of its memory limit)",
            > 128 and < 128 + 65 => $"was killed by signal {code - 128} ({SignalName(code - 128)}){OomCause(code - 128)}",
            -1 => "did not exit",
            _ => $"exited with code {code.ToString(CultureInfo.InvariantCulture)}",
        };
        if (Volatile.Read(ref _killReason) is { } reason)
        {
            how += $", killed by the host: {reason}";
        }

        return how;
    }

    private static string SignalName(int signal) => signal switch
    {
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        Libc.SIGKILL => "SIGKILL",
        11 => "SIGSEGV",
        Libc.SIGTERM => "SIGTERM",
        _ => "signal " + signal.ToString(CultureInfo.InvariantCulture),
    };
}
