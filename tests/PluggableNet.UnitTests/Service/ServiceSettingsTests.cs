using Microsoft.Extensions.Configuration;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Service;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;

namespace PluggableNet.UnitTests.Service;

/// <summary>The service settings go through the same typed reader as the host settings: same messages, all at once.</summary>
public sealed class ServiceSettingsTests
{
    private static ServiceSettings Read(params (string Key, string Value)[] values) =>
        ServiceSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => (string?)v.Value)).Build());

    [Fact]
    public void EveryBadValueIsReportedAtOnceNamingItsKey()
    {
        var error = Assert.Throws<ConfigurationException>(() =>
            Read(("Service:LogFileSizeLimit", "big"), ("Service:LogRetainedFiles", "0"), ("Service:ConsoleFileSizeLimit", "-5")));

        Assert.Equal(
            [
                "Service:LogFileSizeLimit: 'big' is not a whole number from 1024 to 9223372036854775807.",
                "Service:LogRetainedFiles: '0' is not a whole number from 1 to 10000.",
                "Service:ConsoleFileSizeLimit: '-5' is not a whole number from 1024 to 9223372036854775807.",
            ],
            error.Errors);
    }

    [Fact]
    public void ServicePathsDeriveFromTheConfiguredPidFile()
    {
        var settings = Read(("Service:PidFile", "/tmp/pnet-x/p.pid"), ("Service:ConsoleFileSizeLimit", "4096"));

        Assert.True(settings.PidFileConfigured);
        Assert.Equal("/tmp/pnet-x/p.sock", settings.ControlSocket);
        Assert.Equal("/tmp/pnet-x/pluggablenet.log", settings.LogFile);
        Assert.Equal("/tmp/pnet-x/pluggablenet.out", settings.ConsoleFile);
        Assert.Equal(4096, settings.ConsoleFileSizeLimit);
    }
}
