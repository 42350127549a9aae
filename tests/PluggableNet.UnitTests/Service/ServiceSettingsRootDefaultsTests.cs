using Microsoft.Extensions.Configuration;
using PluggableNet.Host.Service;

namespace PluggableNet.UnitTests.Service;

/// <summary>Issue 10, point 14: as root every verb finds the one root host in /run, whatever XDG_RUNTIME_DIR says.</summary>
public sealed class ServiceSettingsRootDefaultsTests
{
    private static readonly IConfiguration s_empty = new ConfigurationBuilder().Build();

    [Fact]
    public void AsRootTheDefaultsAreRunAndVarLogEvenWithXdgRuntimeDirSet()
    {
        var environment = new Dictionary<string, string?> { ["XDG_RUNTIME_DIR"] = "/run/user/0", ["XDG_STATE_HOME"] = "/root/.state" };

        var settings = ServiceSettings.Read(s_empty, name => environment.GetValueOrDefault(name), isRoot: true);

        Assert.Equal("/run/pluggablenet/pluggablenet.pid", settings.PidFile);
        Assert.Equal("/run/pluggablenet/pluggablenet.sock", settings.ControlSocket);
        Assert.Equal("/var/log/pluggablenet/pluggablenet.log", settings.LogFile);
    }

    [Fact]
    public void AnotherUserKeepsTheXdgRuntimeDir()
    {
        var environment = new Dictionary<string, string?> { ["XDG_RUNTIME_DIR"] = "/run/user/1000", ["XDG_STATE_HOME"] = "/home/u/.state" };

        var settings = ServiceSettings.Read(s_empty, name => environment.GetValueOrDefault(name), isRoot: false);

        Assert.Equal("/run/user/1000/pluggablenet/pluggablenet.pid", settings.PidFile);
        Assert.Equal("/home/u/.state/pluggablenet/pluggablenet.log", settings.LogFile);
    }
}
