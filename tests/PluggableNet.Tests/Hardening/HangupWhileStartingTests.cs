using System.Diagnostics;
using PluggableNet.Tests.Cli;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Hardening;

/// <summary>
/// A SIGHUP that arrives while the host is still reading its configuration (an operator's reload racing a restart,
/// a supervisor broadcasting SIGHUP) does not end the process: there is nothing to reload yet, and it starts as usual.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HangupWhileStartingTests
{
    [LinuxFact]
    public async Task ASighupDuringTheConfigurationReadIsIgnoredAndTheHostStarts()
    {
        using var sandbox = new CliSandbox(address: "127.0.0.1");
        var json = await File.ReadAllTextAsync(sandbox.ConfigFile);

        // The configuration file is a FIFO: the host's read blocks until the test writes it, which holds the host
        // exactly inside its configuration read for as long as the test needs.
        var fifo = Path.Combine(sandbox.Directory, "blocking.json");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        await using var host = HostProcess.Start(["--config", fifo, "--Server:Port=0"]);
        await Wait.UntilAsync(() => host.HasExited || WaitsForAWriter(host.Id), TimeSpan.FromSeconds(30), "the host to wait in the open of its configuration file");
        Assert.False(host.HasExited, host.ToString());

        for (var i = 0; i < 3; i++)
        {
            using var kill = Process.Start("kill", ["-HUP", host.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }

        // Opening a FIFO for writing blocks until a reader comes: if the host is gone, the test's own read end frees it.
        var write = Task.Run(() => File.WriteAllText(fifo, json));
        try
        {
            await write.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"nobody read the configuration: the host ended on SIGHUP while starting ({host})");
        }
        finally
        {
            if (!write.IsCompleted)
            {
                using var unblock = new FileStream(fifo, FileMode.Open, FileAccess.Read);
            }
        }

        ListeningLine? line = null;
        await Wait.UntilAsync(() => (line = ListeningLine.Find(host.Output)) is not null || host.HasExited, TimeSpan.FromSeconds(30), "the host to start");
        Assert.False(host.HasExited, $"the host ended on SIGHUP while starting: {host}");
        Assert.NotNull(line);
        await CliSandbox.AssertAnswersAsync(line.Port, "Reverse");
    }

    /// <summary>
    /// The main thread sleeps in the kernel's FIFO open, waiting for the other end (the runtime's debugger thread
    /// waits on a FIFO of its own from the start, so only the main thread tells).
    /// </summary>
    private static bool WaitsForAWriter(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/task/{pid}/wchan") == "wait_for_partner";
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The process is starting or gone: not yet.
            return false;
        }
    }
}
