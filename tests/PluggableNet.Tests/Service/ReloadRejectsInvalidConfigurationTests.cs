using PluggableNet.Tests.Cli;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Service;

/// <summary><c>reload</c> after an invalid edit of the host's file: refused with the key named, the host keeps serving.</summary>
public sealed class ReloadRejectsInvalidConfigurationTests
{
    [LinuxFact]
    public async Task ReloadNamesTheInvalidKeyAndTheHostKeepsServing()
    {
        await using var sandbox = new ServiceSandbox();
        var config = Path.Combine(sandbox.Directory, "live.json");
        await File.WriteAllTextAsync(config, """{ "Logic": { "Plugin": "Reverse" } }""");
        var start = await sandbox.RunAsync("start", "--config", config);
        Assert.True(start.ExitCode == 0, start.ToString());

        await File.WriteAllTextAsync(config, """{ "Logic": { "Plugin": "Upper" }, "Limits": { "ReadTimeout": "soon" } }""");
        var reload = await HostProcess.RunAsync(["reload", "--pidfile", sandbox.PidFile]);

        Assert.True(reload.ExitCode == 1, reload.ToString());
        Assert.Contains("Limits:ReadTimeout: 'soon' is not a duration", reload.Error, StringComparison.Ordinal);
        Assert.Contains("keeps serving", reload.Error, StringComparison.Ordinal);
        var status = await sandbox.StatusAsync();
        Assert.NotNull(status);
        Assert.Equal("Reverse", status.Plugin);
        await CliSandbox.AssertAnswersAsync(status.Port, "Reverse");
        await Wait.UntilAsync(() => sandbox.Log.Contains("Configuration change rejected as a whole", StringComparison.Ordinal), because: "the host logs the rejection");

        var stop = await HostProcess.RunAsync(["stop", "--pidfile", sandbox.PidFile]);
        Assert.True(stop.ExitCode == 0, stop.ToString());
    }

    [LinuxFact]
    public async Task ReloadToAMissingPluginNamesItAndWhatKeepsServingInOneSentence()
    {
        await using var sandbox = new ServiceSandbox();
        var config = Path.Combine(sandbox.Directory, "live.json");
        await File.WriteAllTextAsync(config, """{ "Logic": { "Plugin": "Reverse" } }""");
        var start = await sandbox.RunAsync("start", "--config", config);
        Assert.True(start.ExitCode == 0, start.ToString());

        await File.WriteAllTextAsync(config, """{ "Logic": { "Plugin": "Nope" } }""");
        var reload = await HostProcess.RunAsync(["reload", "--pidfile", sandbox.PidFile]);

        Assert.True(reload.ExitCode == 1, reload.ToString());
        Assert.StartsWith(
            $"reload failed, plugin Reverse version 1.0.0 (generation 1) keeps serving: Logic:Plugin 'Nope' was not found in {TestPaths.BundledPlugins}. Available plugins: Chat, Reverse, Upper.",
            reload.Error.Trim(),
            StringComparison.Ordinal);
        await Wait.UntilAsync(() => sandbox.Log.Contains("Swap to plugin Nope", StringComparison.Ordinal), because: "the host logs the failed swap");
        var logged = sandbox.Log.Split('\n').First(l => l.Contains("Swap to plugin Nope", StringComparison.Ordinal));
        Assert.Contains("failed, Reverse 1.0.0 (generation 1) keeps serving: Logic:Plugin 'Nope' was not found", logged, StringComparison.Ordinal);
        Assert.DoesNotContain(".;", reload.Error + logged, StringComparison.Ordinal);

        var stop = await HostProcess.RunAsync(["stop", "--pidfile", sandbox.PidFile]);
        Assert.True(stop.ExitCode == 0, stop.ToString());
    }
}
