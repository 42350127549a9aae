using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Cli;

/// <summary>A mistyped option is an error that names it, for every verb, and nothing starts.</summary>
public sealed class MistypedOptionTests
{
    public static TheoryData<string?, string, string> Cases()
    {
        var cases = new TheoryData<string?, string, string>();
        foreach (var verb in new[] { null, "run", "start", "stop", "restart", "status", "reload" })
        {
            cases.Add(verb, "--confg", "Unrecognized option '--confg'");
            cases.Add(verb, "stray", "Unexpected argument 'stray'");
        }

        return cases;
    }

    [LinuxTheory]
    [MemberData(nameof(Cases))]
    public async Task IsAnErrorNamingIt(string? verb, string typo, string message)
    {
        using var sandbox = new CliSandbox(address: "127.0.0.1");
        var pidFile = Path.Combine(sandbox.Directory, "pluggablenet.pid");
        string[] arguments = ["--config", sandbox.ConfigFile, "--pidfile", pidFile, "--Server:Port=0", typo, "live.json"];

        var result = await HostProcess.RunAsync(verb is null ? arguments : [verb, .. arguments]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("listening on", result.All, StringComparison.Ordinal);
        Assert.False(File.Exists(pidFile), "nothing started");
    }
}
