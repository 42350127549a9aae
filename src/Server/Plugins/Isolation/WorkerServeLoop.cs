using System.Buffers;
using System.Net.Sockets;
using System.Text;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// The worker answering the requests of one socket (its main one, or one epoll reactor's channel), on the thread that
/// reads them: an inline plugin answers every request of one receive, then one send carries all the answers; an
/// offloaded one runs on the thread pool and its answers go out as they complete (by id, so in any order).
/// </summary>
internal sealed class WorkerServeLoop(Socket socket)
{
    private readonly ArrayBufferWriter<byte> _answer = new(4096);

    public WorkerFrameReader Reader { get; } = new(socket);

    public WorkerFrameSender Sender { get; } = new(socket);

    private BriefPoll _poll;

    /// <summary>Serves until the host closes its end.</summary>
    public void Serve(ILogicPlugin plugin, bool offloaded)
    {
        while (PollBriefly() && Reader.Fill())
        {
            while (Reader.TryRead(out var kind, out var id, out var payload))
            {
                if (kind != WorkerFrames.Request)
                {
                    continue;
                }

                if (offloaded)
                {
                    StartOffloaded(plugin, id, payload);
                }
                else
                {
                    RunInline(plugin, id, payload);
                }
            }

            if (!Sender.Flush())
            {
                return;
            }
        }
    }

    /// <summary>
    /// After answering: spins until a request is readable or the window ends, as a reactor does for a worker's answer,
    /// since at depth 1 the next one comes one client round trip later. Always true: the receive follows either way.
    /// </summary>
    private bool PollBriefly()
    {
        if (!_poll.ShouldSpin())
        {
            return true;
        }

        var deadline = System.Diagnostics.Stopwatch.GetTimestamp() + BriefPoll.WindowTicks;
        try
        {
            while (!socket.Poll(0, SelectMode.SelectRead))
            {
                if (System.Diagnostics.Stopwatch.GetTimestamp() >= deadline)
                {
                    _poll.Miss();
                    return true;
                }
            }

            _poll.Hit();
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // The receive that follows reports it.
        }

        return true;
    }

    private void RunInline(ILogicPlugin plugin, uint id, ReadOnlySpan<byte> payload)
    {
        _answer.ResetWrittenCount();
        try
        {
            plugin.Process(payload, _answer);
        }
        catch (Exception exception)
        {
            Fault(id, exception);
            return;
        }

        Sender.Append(WorkerFrames.Answer, id, _answer.WrittenSpan);
    }

    private void StartOffloaded(ILogicPlugin plugin, uint id, ReadOnlySpan<byte> payload)
    {
        var request = payload.ToArray();
        _ = Task.Run(async () =>
        {
            var answer = new ArrayBufferWriter<byte>();
            try
            {
                await plugin.ProcessAsync(request, answer, CancellationToken.None).ConfigureAwait(false);
                Sender.Append(WorkerFrames.Answer, id, answer.WrittenSpan);
            }
            catch (Exception exception)
            {
                Fault(id, exception);
            }

            Sender.Flush();
        });
    }

    private void Fault(uint id, Exception exception)
    {
        if (exception is OutOfMemoryException or InsufficientExecutionStackException)
        {
            // Its memory limit (or its stack) is spent: this process is no longer trustworthy, end it as a crash.
            try
            {
                Console.Error.WriteLine($"PluggableNet worker: {exception.GetType().Name} in the plugin ({exception.Message}); exiting as a crash");
            }
            catch (Exception)
            {
                // Out of address space (RLIMIT_AS), even the console cannot start: the exit code says it all.
            }

            Environment.Exit(WorkerMain.OutOfMemoryExitCode);
        }

        Sender.Append(WorkerFrames.Fault, id, Encoding.UTF8.GetBytes(exception.GetType().Name));
    }
}
