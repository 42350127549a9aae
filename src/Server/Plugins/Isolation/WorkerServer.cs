using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// The worker's side: loads the plugin named by the host's Init frame with the host's own loader, then answers
/// requests (<see cref="WorkerServeLoop"/>) on its main socket and on each epoll reactor's channel, one thread each.
/// </summary>
internal sealed class WorkerServer(Socket socket, Socket[] channels)
{
    private readonly WorkerServeLoop _main = new(socket);

    public int Run()
    {
        var reader = _main.Reader;
        var sender = _main.Sender;
        if (!reader.ReadBlocking(out var kind, out _, out var init) || kind != WorkerFrames.Init)
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
            sender.Append(WorkerFrames.LoadFailed, 0, Encoding.UTF8.GetBytes(exception.Message));
            sender.Flush();
            return WorkerMain.LoadFailedExitCode;
        }

        var offloaded = generation.Execution == PluginExecution.Offloaded;
        foreach (var channel in channels)
        {
            // A reactor's requests are answered on the thread that read them, as on the main socket. Started before
            // Ready: the host applies the memory limit (RLIMIT_AS) when it reads Ready, and a thread's stack counts.
            var loop = new WorkerServeLoop(channel);
            new Thread(() => loop.Serve(generation.Plugin, offloaded)) { IsBackground = true, Name = "PluggableNet worker channel" }.Start();
        }

        var ready = $"{generation.Version}\n{generation.Execution}\n{(generation.SessionPlugin is not null ? 1 : 0)}\n{generation.Build}";
        sender.Append(WorkerFrames.Ready, 0, Encoding.UTF8.GetBytes(ready));
        sender.Flush();

        _main.Serve(generation.Plugin, offloaded);

        // The host closed its end (a swap retired this generation, or the host stops): leave at once, whatever the
        // plugin's threads are doing; the host does not wait for a graceful end.
        return 0;
    }
}
