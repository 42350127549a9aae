using PluggableNet.Server.Interop;
using PluggableNet.Tests.Cli;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Hardening;

/// <summary>Issue 10, point 11: a config file the host may not read is a configuration error, not a crash.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UnreadableConfigFileTests
{
    [LinuxFact]
    public async Task AnUnreadableConfigFileIsOneLineAndExitCode2()
    {
        using var sandbox = new CliSandbox(address: "127.0.0.1");
        File.SetUnixFileMode(sandbox.ConfigFile, UnixFileMode.None);

        // Root reads mode 000 anyway: run the host as nobody, the way a service user meets the file.
        var asRoot = Libc.geteuid() == 0;
        string[] host = [TestPaths.HostDll, "--config", sandbox.ConfigFile, "--Server:Port=0"];
        string[] arguments = asRoot ? ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "dotnet", .. host] : host[1..];
        await using var process = HostProcess.Start(
            arguments,
            new Dictionary<string, string> { ["HOME"] = sandbox.Directory, ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" },
            fileName: asRoot ? "setpriv" : null);
        var result = await process.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 2, result.ToString());
        var lines = result.All.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, result.ToString());
        Assert.Contains("cannot read a configuration file", lines[0], StringComparison.Ordinal);
        Assert.Contains(sandbox.ConfigFile, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("UnauthorizedAccessException", result.All, StringComparison.Ordinal);
    }
}
