using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// SIGUSR2, as nginx: upgrade to this host's own program as it is on disk now (a new release copied over it), with
/// the default timeout. The outcome is logged; <c>upgrade</c> is the verb that reports it to the operator.
/// </summary>
internal sealed class UpgradeSignal(UpgradeCoordinator coordinator, ILoggerFactory loggerFactory) : IHostedService, IDisposable
{
    /// <summary>SIGUSR2 on Linux (x64 and arm64).</summary>
    public const int Sigusr2 = 12;

    /// <summary>How long a signalled upgrade waits for the new host to serve.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private PosixSignalRegistration? _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsLinux())
        {
            var logger = loggerFactory.CreateLogger("PluggableNet.Upgrade");
            _registration = PosixSignalRegistration.Create((PosixSignal)Sigusr2, context =>
            {
                context.Cancel = true;
                _ = Task.Run(async () =>
                {
                    logger.LogInformation("SIGUSR2: upgrading to {Program}", Environment.ProcessPath);
                    var result = await coordinator.UpgradeAsync(null, Timeout).ConfigureAwait(false);
                    if (result.Upgraded)
                    {
                        logger.LogInformation("SIGUSR2: {Message}", result.Message);
                        coordinator.StopAfterHandOver();
                    }
                    else
                    {
                        logger.LogWarning("SIGUSR2: {Message}", result.Message);
                    }
                });
            });
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _registration?.Dispose();
}
