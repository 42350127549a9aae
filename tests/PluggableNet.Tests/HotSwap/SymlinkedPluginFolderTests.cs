using PluggableNet.Tests.Cli;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.HotSwap;

/// <summary>Issue 10, point 16: a plugin folder that is a symbolic link (<c>HotSwap → releases/1</c>) is watched where it points.</summary>
public sealed class SymlinkedPluginFolderTests : IDisposable
{
    private readonly string _directory = TestPaths.NewTempDirectory("pnet-link");

    private string Plugins => Path.Combine(_directory, "plugins");

    private string Link => Path.Combine(Plugins, HotSwapPlugins.Name);

    [Fact]
    public async Task FilesReplacedInsideTheTargetAndAFlippedLinkAreBothSwappedIn()
    {
        Directory.CreateDirectory(Plugins);
        var first = Release("1", HotSwapPlugins.V1);
        File.CreateSymbolicLink(Link, first);
        var (host, line) = await CliSandbox.StartForegroundAsync(
            ["--Server:Address=127.0.0.1", "--Server:Port=0", $"--Logic:PluginsPath={Plugins}", $"--Logic:Plugin={HotSwapPlugins.Name}"]);
        await using (host)
        {
            Assert.Equal("A:x", await HostAnswers.AskAsync(line.Port, "x"));

            // A new build copied into the target, not through the link. Repeated: the start-up line comes before
            // the watchers are in place, so the first copy may land before anyone watches.
            await DeployUntilAnsweredAsync(line.Port, first, HotSwapPlugins.V2, "B:x");

            // The link flipped atomically to another release; then a change inside that one.
            var second = Release("2", HotSwapPlugins.Tagged("C", "3.0.0"));
            var staging = Path.Combine(Plugins, ".next");
            File.CreateSymbolicLink(staging, second);
            await RenameOverAsync(staging, Link);
            await HostAnswers.BecomesAsync(line.Port, "x", "C:x");

            Deploy(second, HotSwapPlugins.Tagged("D", "4.0.0"));
            await HostAnswers.BecomesAsync(line.Port, "x", "D:x");
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

    private string Release(string name, byte[] dll)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_directory, "releases", name)).FullName;
        File.WriteAllBytes(Path.Combine(folder, HotSwapPlugins.Name + ".dll"), dll);
        return folder;
    }

    private static async Task DeployUntilAnsweredAsync(int port, string folder, byte[] dll, string expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        while (true)
        {
            Deploy(folder, dll);
            try
            {
                await HostAnswers.BecomesAsync(port, "x", expected, TimeSpan.FromSeconds(4));
                return;
            }
            catch (TimeoutException) when (DateTime.UtcNow < deadline)
            {
                // Not swapped yet: deploy again.
            }
        }
    }

    /// <summary>rename(2) of a link over a link, as <c>mv -T</c> does (File.Move will not move a link to a directory).</summary>
    private static async Task RenameOverAsync(string from, string to)
    {
        using var mv = System.Diagnostics.Process.Start("mv", ["-T", from, to]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await mv.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, mv.ExitCode);
    }

    /// <summary>Written beside, then renamed over the DLL: an atomic deploy inside the release folder.</summary>
    private static void Deploy(string folder, byte[] dll)
    {
        var staging = Path.Combine(folder, ".staging.dll");
        File.WriteAllBytes(staging, dll);
        File.Move(staging, Path.Combine(folder, HotSwapPlugins.Name + ".dll"), overwrite: true);
    }
}
