using System.Diagnostics;
using PluggableNet.Host.Service;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Service;

/// <summary>Issue 10, point 14: the pidfile and the directories a host creates, as a root-run daemon must treat them.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PidFileSafetyTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _directory = TestPaths.NewTempDirectory("pnet-pid");

    [LinuxFact]
    public async Task APidFileThatIsASymlinkIsRefusedAndItsTargetUntouched()
    {
        var secret = Path.Combine(_directory, "root-only");
        File.WriteAllText(secret, "do not truncate\n");
        var pidFile = Path.Combine(_directory, "pn.pid");
        File.CreateSymbolicLink(pidFile, secret);

        var result = await HostProcess.RunAsync(["run", "--pidfile", pidFile, "--Server:Address=127.0.0.1", "--Server:Port=0"], TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"Pidfile {pidFile} is a symbolic link; refusing to follow it", result.All, StringComparison.Ordinal);
        Assert.Equal("do not truncate\n", File.ReadAllText(secret));
    }

    [LinuxFact]
    public async Task APidFileInAWorldWritableDirectoryWithoutTheStickyBitIsRefused()
    {
        var shared = Directory.CreateDirectory(Path.Combine(_directory, "shared")).FullName;
        File.SetUnixFileMode(shared, (UnixFileMode)0b111_111_111);
        var pidFile = Path.Combine(shared, "pn.pid");

        var result = await HostProcess.RunAsync(["run", "--pidfile", pidFile, "--Server:Address=127.0.0.1", "--Server:Port=0"], TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("no sticky bit", result.All, StringComparison.Ordinal);
        Assert.False(File.Exists(pidFile));
    }

    [LinuxFact]
    public async Task TheRunAndLogDirectoriesAreCreatedPrivateAndTheLogFilesOwnerOnly()
    {
        var run = Path.Combine(_directory, "run");
        var log = Path.Combine(_directory, "log");
        string[] locate = ["--pidfile", Path.Combine(run, "pn.pid"), $"--Service:LogFile={Path.Combine(log, "pn.log")}"];
        try
        {
            var started = await HostProcess.RunAsync(["start", .. locate, "--Server:Address=127.0.0.1", "--Server:Port=0"], TimeSpan.FromSeconds(40));
            Assert.True(started.ExitCode == 0, started.ToString());

            Assert.Equal(Private, File.GetUnixFileMode(run));
            Assert.Equal(Private, File.GetUnixFileMode(log));
            var files = Directory.GetFiles(log);
            Assert.Contains(files, f => f.EndsWith(".out", StringComparison.Ordinal));
            Assert.Contains(files, f => f.EndsWith(".log", StringComparison.Ordinal));
            Assert.All(files, f => Assert.Equal(OwnerOnly, File.GetUnixFileMode(f)));
        }
        finally
        {
            await HostProcess.RunAsync(["stop", .. locate, "--force"], TimeSpan.FromSeconds(40));
            KillIfRunning(Path.Combine(run, "pn.pid"));
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }

    private static void KillIfRunning(string pidFile)
    {
        if (PidFile.ReadPid(pidFile) is { } pid && HostProcessProbe.IsRunningHost(pid))
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
    }
}
