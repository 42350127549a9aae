using PluggableNet.Server.Connections;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>
/// What other threads ask of a reactor: commands run on its thread (stop accepting, scan now, cut everything), and
/// the eventfd wake-up that makes its loop look at them, at hand-offs and at offload completions.
/// </summary>
internal sealed unsafe partial class EpollReactor
{
    /// <summary>Runs <paramref name="command"/> on the reactor thread.</summary>
    public void Post(Action command)
    {
        _commands.Enqueue(command);
        if (_loopEnded)
        {
            // The loop is gone (it stopped, or epoll failed): nothing else touches the reactor's state any more.
            RunCommandsAfterLoop();
            return;
        }

        Wake();
    }

    public Task StopAcceptingAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            _stopAccepting = true;
            StopListening();
            done.TrySetResult();
        });
        return done.Task;
    }

    /// <summary>Runs the timeout and drain scan at the next pass of the loop.</summary>
    public void ScanNow() => Post(() => _nextScanAt = 0);

    /// <summary>Ends the loop after cutting every remaining connection; returns how many were cut.</summary>
    public Task<int> AbortAllAsync()
    {
        var cut = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            TakeHandoffs();
            var count = 0;
            for (var fd = 0; fd <= _highestFd; fd++)
            {
                if (_byFd[fd] is not { } connection)
                {
                    continue;
                }

                if (connection.LingerUntil != 0)
                {
                    // Already answered and shut down: only its wait for the peer's end is cut.
                    Release(connection);
                    continue;
                }

                connection.Machine.Abort(CloseReason.Shutdown);
                Close(connection, mayLinger: false);
                count++;
            }

            _stopRequested = true;
            cut.TrySetResult(count);
        });
        return cut.Task;
    }

    private void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            WriteWake();
        }
    }

    /// <summary>
    /// Once the eventfd is closed its number may be reused by any descriptor of the process (another server's
    /// connection, a log file): a late wake-up written there would put 8 bytes of a little-endian 1 into it.
    /// </summary>
    private void WriteWake()
    {
        lock (_wakeFdLock)
        {
            if (!_wakeFdClosed)
            {
                ulong one = 1;
                Libc.write(_wakeFd, &one, sizeof(ulong));
            }
        }
    }

    private void RunCommandsAfterLoop()
    {
        lock (_commands)
        {
            TakeHandoffs();
            while (_commands.TryDequeue(out var command))
            {
                command();
            }
        }
    }

    private void DrainWakeQueue(Plugins.PluginGeneration generation, long now)
    {
        Volatile.Write(ref _wakePending, 0);
        ulong value;
        Libc.read(_wakeFd, &value, sizeof(ulong));

        TakeHandoffs();
        while (_commands.TryDequeue(out var command))
        {
            command();
        }

        CompleteOffloads(generation, now);
    }
}
