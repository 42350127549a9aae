using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Cli;

/// <summary>
/// <c>--config FILE</c> and <c>--config=FILE</c> before, between and after the overrides, with and without the
/// <c>run</c> verb: the file applies (its plugin) and every override wins over it (address and port).
/// </summary>
public sealed class ConfigFileWithOverridesTests
{
    public static TheoryData<string?, string, string> Cases()
    {
        var cases = new TheoryData<string?, string, string>();
        foreach (var verb in new[] { null, "run" })
        {
            foreach (var form in new[] { "space", "equals" })
            {
                foreach (var position in new[] { "before", "between", "after" })
                {
                    cases.Add(verb, form, position);
                }
            }
        }

        return cases;
    }

    [LinuxTheory]
    [MemberData(nameof(Cases))]
    public async Task FileAppliesAndEveryOverrideWins(string? verb, string form, string position)
    {
        using var sandbox = new CliSandbox(address: "0.0.0.0", plugin: "Upper");
        string[] config = form == "space" ? ["--config", sandbox.ConfigFile] : ["--config=" + sandbox.ConfigFile];
        string[] port = ["--Server:Port=0"];
        string[] address = ["--Server:Address=127.0.0.1"];
        string[] arguments = position switch
        {
            "before" => [.. config, .. port, .. address],
            "between" => [.. port, .. config, .. address],
            _ => [.. port, .. address, .. config],
        };
        if (verb is not null)
        {
            arguments = [verb, .. arguments];
        }

        var (host, line) = await CliSandbox.StartForegroundAsync(arguments);
        await using (host)
        {
            Assert.Equal("127.0.0.1", line.Address);
            Assert.NotEqual(sandbox.FilePort, line.Port);
            Assert.NotEqual(0, line.Port);
            Assert.Equal("Upper", line.Plugin);
            await CliSandbox.AssertAnswersAsync(line.Port, "Upper");
        }
    }
}
