using System.Buffers;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// The worker's side: loads the plugin named by the host's Init frame with the host's own loader, then answers
/// requests. An inline plugin runs on the reading thread, every request of one receive before one send; an offloaded
/// one runs on the thread pool and its answers go out as they complete (by id, so in any order).
/// </summary>
internal sealed class WorkerServer(Socket socket)
{
    private readonly WorkerFrameReader _reader = new(socket);
    private readonly WorkerFrameSender _sender = new(socket);
    private readonly ArrayBufferWriter<byte> _answer = new(4096);

    public int Run()
    {
        if (!_reader.ReadBlocking(out var kind, out _, out var init) || kind != WorkerFrames.Init)
        {
            return 1;
        }

        var lines = Encoding.UTF8.GetString(init).Split('\n');
        var (pluginsPath, name) = (lines[0], lines[1]);
        var values = lines.Skip(2).Where(l => l.Length > 0).Select(l => l.Split('=', 2))
            .Select(p => new KeyValuePair<string, string?>($"Plugins:{name}:{p[0]}", p.Length > 1 ? p[1] : null));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new StderrLoggerProvider(LogLevel.Information)));

        PluginGeneration generation;
        try
        {
            generation = new PluginFactory(pluginsPath, configuration, loggerFactory) { InWorker = true }.Load(name);
        }
        catch (Exception exception)
        {
            _sender.Append(WorkerFrames.LoadFailed, 0, Encoding.UTF8.GetBytes(exception.Message));
            _sender.Flush();
            return WorkerMain.LoadFailedExitCode;
        }

        var ready = $"{generation.Version}\n{generation.Execution}\n{(generation.SessionPlugin is not null ? 1 : 0)}\n{generation.Build}";
        _sender.Append(WorkerFrames.Ready, 0, Encoding.UTF8.GetBytes(ready));
        _sender.Flush();
        Serve(generation.Plugin, generation.Execution == PluginExecution.Offloaded);

        // The host closed its end (a swap retired this generation, or the host stops): leave at once, whatever the
        // plugin's threads are doing; the host does not wait for a graceful end.
        return 0;
    }

    private void Serve(ILogicPlugin plugin, bool offloaded)
    {
        while (_reader.Fill())
        {
            while (_reader.TryRead(out var kind, out var id, out var payload))
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

            if (!_sender.Flush())
            {
                return;
            }
        }
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

        _sender.Append(WorkerFrames.Answer, id, _answer.WrittenSpan);
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
                _sender.Append(WorkerFrames.Answer, id, answer.WrittenSpan);
            }
            catch (Exception exception)
            {
                Fault(id, exception);
            }

            _sender.Flush();
        });
    }

    private void Fault(uint id, Exception exception)
    {
        if (exception is OutOfMemoryException or InsufficientExecutionStackException)
        {
            // Its memory limit (or its stack) is spent: this process is no longer trustworthy, end it as a crash.
            Console.Error.WriteLine($"PluggableNet worker: {exception.GetType().Name} in the plugin ({exception.Message}); exiting as a crash");
            Environment.Exit(WorkerMain.OutOfMemoryExitCode);
        }

        _sender.Append(WorkerFrames.Fault, id, Encoding.UTF8.GetBytes(exception.GetType().Name));
    }
}
