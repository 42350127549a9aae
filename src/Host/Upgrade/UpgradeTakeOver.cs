using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using PluggableNet.Host.Service;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// The new host, once it serves and the old host let go: takes the pidfile (when the host keeps one) and, under
/// systemd, becomes the main process (<c>MAINPID=</c>, before the lifetime's <c>READY=1</c>). Registered after the
/// server and before the control socket, which then opens on the path the old host released.
/// </summary>
internal sealed class UpgradeTakeOver(HandOverClient client, HandOverResources resources, ServiceSettings service, ILoggerFactory loggerFactory, ISystemdNotifier? notifier = null) : IHostedService
{
    /// <summary>Whether this host keeps a pidfile (a daemon, or one given <c>--pidfile</c>).</summary>
    public bool KeepsPidFile { get; init; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var logger = loggerFactory.CreateLogger("PluggableNet.Upgrade");
        await client.Released.ConfigureAwait(false);
        if (KeepsPidFile)
        {
            // The old host closed its lock before it said Released; a moment's retry covers a slow close only.
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            PidFile? pidFile;
            int? holder;
            while ((pidFile = PidFile.TryAcquire(service.PidFile, out holder)) is null && DateTime.UtcNow < until)
            {
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }

            if (pidFile is null)
            {
                logger.LogWarning("Upgrade: pidfile {PidFile} is still held by pid {Pid}; serving without it", service.PidFile, holder);
            }

            resources.PidFile = pidFile;
        }

        if (notifier is { IsEnabled: true })
        {
            notifier.Notify(new ServiceState("MAINPID=" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture)));
        }

        logger.LogInformation("Upgrade: this host (pid {Pid}) took over from pid {OldPid}", Environment.ProcessId, client.OldPid);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
