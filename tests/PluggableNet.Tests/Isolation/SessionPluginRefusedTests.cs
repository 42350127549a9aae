using PluggableNet.Server.Plugins;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Isolation;

/// <summary>Issue 24, point 1: a session plugin in Isolation Process is refused at start, with the reason and the way out.</summary>
public sealed class SessionPluginRefusedTests
{
    [LinuxFact]
    public void ASessionPluginInProcessIsolationIsRefusedAtStartWithTheReason()
    {
        var exception = Assert.Throws<PluginLoadException>(() => TestServer.Start("Epoll", ("Logic:Plugin", "Chat"), ("Plugins:Chat:Isolation", "Process")));

        Assert.Contains("is a session plugin (ISessionPlugin), which Plugins:Chat:Isolation Process does not support", exception.Message, StringComparison.Ordinal);
        Assert.Contains("Set Plugins:Chat:Isolation to InProcess", exception.Message, StringComparison.Ordinal);
    }
}
