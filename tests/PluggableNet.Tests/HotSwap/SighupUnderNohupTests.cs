using System.Globalization;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.HotSwap;

/// <summary>
/// A host started with SIGHUP ignored by its parent (<c>nohup</c>, some supervisors) still reloads on SIGHUP: .NET
/// leaves an inherited ignore in place, so the host takes the signal back itself.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SighupUnderNohupTests
{
    [LinuxFact]
    public async Task SighupReloadsAHostStartedUnderNohup()
    {
        // The premise: what nohup starts has SIGHUP (bit 0 of the mask) ignored.
        await using (var probe = ChildProcess.Start("nohup", ["grep", "SigIgn", "/proc/self/status"]))
        {
            await probe.WaitForExitAsync(Wait.Default);
            var mask = ulong.Parse(probe.Output.Split(':')[1].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            Assert.Equal(1UL, mask & 1);
        }

        await using var host = HostProcess.Start([ChildProcess.Dotnet, TestPaths.HostDll, "--Server:Address=127.0.0.1", "--Server:Port=0"], fileName: "nohup");
        await host.WaitForOutputAsync("PluggableNet listening");
        using (var kill = System.Diagnostics.Process.Start("kill", ["-HUP", host.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await host.WaitForOutputAsync("trigger signal");
        Assert.False(host.HasExited, host.ToString());
    }
}
