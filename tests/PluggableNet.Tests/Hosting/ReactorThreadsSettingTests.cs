using Microsoft.Extensions.Configuration;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hosting;

/// <summary><c>Server:ReactorThreads</c>: <c>auto</c> by default, a number fixes it, anything else fails naming the key; <c>status</c> shows the active set.</summary>
public sealed class ReactorThreadsSettingTests
{
    [Theory]
    [InlineData(null, true, 0)]
    [InlineData("auto", true, 0)]
    [InlineData(" AUTO ", true, 0)]
    [InlineData("3", false, 3)]
    [InlineData("0", false, 0)]
    public void AutoUnlessANumberIsGiven(string? value, bool adaptive, int fixedCount)
    {
        var values = new Dictionary<string, string?>();
        if (value is not null)
        {
            values["Server:ReactorThreads"] = value;
        }

        var settings = ServerSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

        Assert.Equal(adaptive, settings.AdaptiveReactors);
        Assert.Equal(fixedCount == 0 ? Environment.ProcessorCount : fixedCount, settings.ReactorThreads);
    }

    [Theory]
    [InlineData("many")]
    [InlineData("-1")]
    [InlineData("257")]
    public void ABadValueIsRejectedNamingTheKey(string value)
    {
        var error = Assert.Throws<ConfigurationException>(() =>
            ServerSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Server:ReactorThreads"] = value }).Build()));

        Assert.Contains("Server:ReactorThreads", error.Message, StringComparison.Ordinal);
        Assert.Contains("auto", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALiveEditFromAutoToANumberIsReportedOnceAsNeedingARestart()
    {
        var auto = new ServerSettings();

        var changes = SettingsChange.NeedingRestart(auto, auto with { AdaptiveReactors = false, ReactorThreads = 2 });

        Assert.Equal([("Server:ReactorThreads", "2")], changes);
    }

    [Fact]
    public async Task ABadValueOnTheCommandLineFailsTheStartWithExitCode2()
    {
        var result = await HostProcess.RunAsync(["--Server:Address=127.0.0.1", "--Server:Port=0", "--Server:ReactorThreads=many"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Server:ReactorThreads", result.Output + result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDefaultHostIsAdaptiveAndStatusShowsItsActiveReactors()
    {
        await using var host = await RunningHost.StartAsync("Epoll", []);

        var status = await host.StatusAsync(s => s.Reactors > 0);
        Assert.True(status.AdaptiveReactors);
        Assert.Equal(Environment.ProcessorCount, status.Reactors);
        Assert.InRange(status.ActiveReactors, 1, status.Reactors);

        var text = await HostProcess.RunAsync(["status", $"--Control:Socket={host.ControlSocket}"]);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Matches(@"reactors:\s+\d+ of " + Environment.ProcessorCount + @" active \(auto\), \d+ connection move\(s\)", text.Output);
    }

    [Fact]
    public async Task AFixedCountKeepsEveryReactorActive()
    {
        await using var host = await RunningHost.StartAsync("Epoll", ["--Server:ReactorThreads=2"]);

        var status = await host.StatusAsync(s => s.Reactors > 0);

        Assert.False(status.AdaptiveReactors);
        Assert.Equal(2, status.Reactors);
        Assert.Equal(2, status.ActiveReactors);
    }

    [Fact]
    public async Task TheSocketsTransportHasNoReactors()
    {
        await using var host = await RunningHost.StartAsync("Sockets", []);

        var status = await host.StatusAsync(_ => true);

        Assert.Equal(0, status.Reactors);
        Assert.Equal(0, status.ActiveReactors);
        Assert.False(status.AdaptiveReactors);
    }
}
