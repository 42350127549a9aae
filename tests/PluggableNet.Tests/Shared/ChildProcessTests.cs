using System.Diagnostics;
using System.Globalization;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Shared;

/// <summary>
/// The child-process helper the tests and the benchmarks share (tests/Shared/ChildProcess.cs), driven with small
/// shell scripts: waits end on the line, on exit or on the timeout, and nothing it started outlives it.
/// </summary>
public sealed class ChildProcessTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(10);

    [LinuxFact]
    public async Task WaitForLineFindsLinesPrintedBeforeAndAfterTheCall()
    {
        await using var child = Shell("echo one; sleep 0.3; echo two; sleep 30");

        await child.WaitForLineAsync(l => l == "two", s_bound);

        Assert.Equal("one", await child.WaitForLineAsync(l => l.StartsWith('o'), s_bound));
        Assert.Equal(["one", "two"], child.RecentLines());
    }

    [LinuxFact]
    public async Task AProcessThatEndsWithoutTheLineFailsTheWaitAtOnceWithWhatItPrinted()
    {
        await using var child = Shell("echo nope; echo broken >&2; exit 3");
        var watch = Stopwatch.StartNew();

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => child.WaitForLineAsync(l => l == "yes", TimeSpan.FromSeconds(30)));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.Contains("exit code 3", failure.Message, StringComparison.Ordinal);
        Assert.Contains("nope", failure.Message, StringComparison.Ordinal);
        Assert.Contains("broken", failure.Message, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task AWaitForALineThatNeverComesTimesOut()
    {
        await using var child = Shell("echo something else; sleep 30");

        await Assert.ThrowsAsync<TimeoutException>(() => child.WaitForLineAsync(l => l == "never", TimeSpan.FromMilliseconds(300)));
        await Assert.ThrowsAsync<TimeoutException>(() => child.WaitForOutputAsync("never", TimeSpan.FromMilliseconds(300)));
    }

    [LinuxFact]
    public async Task WaitForExitGivesTheExitCodeAndBothStreams()
    {
        await using var child = Shell("echo out; echo err >&2; printf 'no newline'; exit 7");

        Assert.Equal(7, await child.WaitForExitAsync(s_bound));

        Assert.Equal("out\nno newline", child.Output);
        Assert.Equal("err\n", child.Error);
        Assert.Contains("no newline", child.RecentLines());
    }

    [LinuxFact]
    public async Task WaitForExitPastItsTimeoutKillsTheProcess()
    {
        await using var child = Shell("sleep 30");

        await Assert.ThrowsAsync<TimeoutException>(() => child.WaitForExitAsync(TimeSpan.FromMilliseconds(300)));

        await Wait.UntilAsync(() => child.HasExited, s_bound, "the process killed");
    }

    [LinuxFact]
    public async Task TheDeadlineKillsAProcessNobodyStops()
    {
        await using var child = ChildProcess.Start("/bin/sh", ["-c", "sleep 30"], deadline: TimeSpan.FromMilliseconds(300));

        await child.WaitForExitAsync(s_bound);

        Assert.True(child.HasExited);
    }

    [LinuxFact]
    public async Task DisposeKillsTheWholeProcessTree()
    {
        var child = Shell("sleep 60 & echo grandchild $!; wait");
        var line = await child.WaitForLineAsync(l => l.StartsWith("grandchild ", StringComparison.Ordinal), s_bound);
        var grandchild = int.Parse(line["grandchild ".Length..], CultureInfo.InvariantCulture);
        var pid = child.Id;
        Assert.True(IsRunning(grandchild));

        await child.DisposeAsync();

        Assert.False(IsRunning(pid), "the child still runs");
        await Wait.UntilAsync(() => !IsRunning(grandchild), s_bound, $"grandchild {grandchild} killed");
    }

    [LinuxFact]
    public async Task TheEnvironmentIsAddedToAndRemovedFrom()
    {
        await using var child = ChildProcess.Start(
            "/bin/sh",
            ["-c", "echo \"$PN_TEST_VALUE|${HOME-unset}\""],
            [new("PN_TEST_VALUE", "given"), new("HOME", null)]);

        await child.WaitForExitAsync(s_bound);

        Assert.Equal("given|unset\n", child.Output);
    }

    [LinuxFact]
    public async Task StandardInputIsClosedSoAReaderSeesTheEnd()
    {
        await using var child = Shell("cat; echo done");

        Assert.Equal(0, await child.WaitForExitAsync(s_bound));
        Assert.Equal("done\n", child.Output);
    }

    [LinuxFact]
    public async Task ACaptureLimitKeepsTheMostRecentOutput()
    {
        await using var child = ChildProcess.Start("/bin/sh", ["-c", "i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done"], captureLimit: 100);

        await child.WaitForExitAsync(s_bound);

        Assert.True(child.Output.Length <= 100, $"kept {child.Output.Length} characters");
        Assert.EndsWith("line-1999\n", child.Output, StringComparison.Ordinal);
        Assert.Equal("line-1999", child.RecentLines(1).Single());
        Assert.Equal("line-1999", await child.WaitForLineAsync(l => l == "line-1999", s_bound));
    }

    private static ChildProcess Shell(string script) => ChildProcess.Start("/bin/sh", ["-c", script]);

    /// <summary>True while <paramref name="pid"/> exists and is not a zombie waiting to be reaped.</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }
}
