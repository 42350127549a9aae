using Microsoft.Extensions.Hosting.Systemd;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// systemd's notifier, silent once this host has handed over: the new host is the main process then (it sent
/// <c>MAINPID=</c>), and a <c>STOPPING=1</c> from the old one draining would read as the whole service stopping.
/// </summary>
internal sealed class HandOverNotifier(HandOverResources resources) : ISystemdNotifier
{
    private readonly SystemdNotifier _inner = new();

    public bool IsEnabled => _inner.IsEnabled;

    public void Notify(ServiceState state)
    {
        if (!resources.HandedOver)
        {
            _inner.Notify(state);
        }
    }
}
