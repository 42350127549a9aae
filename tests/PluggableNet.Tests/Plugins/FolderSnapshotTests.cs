using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Plugins;

/// <summary>
/// Snapshots of a real folder: equal while nobody touches it, different after any change a copy in progress
/// makes (a size, a time, a file added, removed or renamed, in any subfolder).
/// </summary>
public sealed class FolderSnapshotTests : IDisposable
{
    private static readonly DateTime s_fixedTime = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
    private readonly string _folder = TestPaths.NewTempDirectory("pnet-snapshot");

    public FolderSnapshotTests()
    {
        WriteFile("Plugin.dll", 1000);
        WriteFile("Plugin.deps.json", 200);
        WriteFile(Path.Combine("runtimes", "linux-x64", "native.so"), 300);
    }

    [Fact]
    public void AnUntouchedFolderGivesEqualSnapshots()
    {
        var first = FolderSnapshot.Take(_folder);
        var second = FolderSnapshot.Take(_folder);

        Assert.True(first.Exists);
        Assert.Equal(3, first.Files);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    [Fact]
    public void AFileThatChangesSizeButNotTimeMakesThemDiffer()
    {
        var before = FolderSnapshot.Take(_folder);

        WriteFile("Plugin.dll", 1001);

        Assert.NotEqual(before, FolderSnapshot.Take(_folder));
    }

    [Fact]
    public void AFileThatChangesTimeButNotSizeMakesThemDiffer()
    {
        var before = FolderSnapshot.Take(_folder);

        File.SetLastWriteTimeUtc(Path.Combine(_folder, "Plugin.dll"), s_fixedTime.AddSeconds(1));

        Assert.NotEqual(before, FolderSnapshot.Take(_folder));
    }

    [Fact]
    public void ANewFileMakesThemDiffer()
    {
        var before = FolderSnapshot.Take(_folder);

        WriteFile("Other.dll", 10);

        var after = FolderSnapshot.Take(_folder);
        Assert.NotEqual(before, after);
        Assert.Equal(4, after.Files);
    }

    [Fact]
    public void ANewFileInASubfolderMakesThemDiffer()
    {
        var before = FolderSnapshot.Take(_folder);

        WriteFile(Path.Combine("runtimes", "linux-x64", "second.so"), 300);

        Assert.NotEqual(before, FolderSnapshot.Take(_folder));
    }

    [Fact]
    public void ARemovedFileMakesThemDiffer()
    {
        var before = FolderSnapshot.Take(_folder);

        File.Delete(Path.Combine(_folder, "Plugin.deps.json"));

        var after = FolderSnapshot.Take(_folder);
        Assert.NotEqual(before, after);
        Assert.Equal(2, after.Files);
    }

    [Fact]
    public void ARenamedFileOfTheSameSizeAndTimeMakesThemDiffer()
    {
        var before = FolderSnapshot.Take(_folder);

        File.Move(Path.Combine(_folder, "Plugin.deps.json"), Path.Combine(_folder, "Plugin.runtimeconfig.json"));

        var after = FolderSnapshot.Take(_folder);
        Assert.Equal(before.Files, after.Files);
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void AFileRewrittenExactlyAsItWasGivesEqualSnapshots()
    {
        var before = FolderSnapshot.Take(_folder);

        WriteFile("Plugin.dll", 1000);

        Assert.Equal(before, FolderSnapshot.Take(_folder));
    }

    [Fact]
    public void AMissingFolderDiffersFromAnEmptyOne()
    {
        var missing = Path.Combine(_folder, "not-there");
        var empty = Path.Combine(_folder, "empty");
        Directory.CreateDirectory(empty);

        var absent = FolderSnapshot.Take(missing);

        Assert.False(absent.Exists);
        Assert.Equal(0, absent.Files);
        Assert.Equal(absent, FolderSnapshot.Take(missing));
        Assert.NotEqual(absent, FolderSnapshot.Take(empty));
    }

    [Fact]
    public async Task AQuietFolderIsReportedStable()
    {
        var stable = await FolderSnapshot.WaitUntilStableAsync(_folder, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(10), CancellationToken.None);

        Assert.NotNull(stable);
        Assert.Equal(FolderSnapshot.Take(_folder), stable);
    }

    [Fact]
    public async Task AFolderStillBeingWrittenIsNotReportedStable()
    {
        using var stop = new CancellationTokenSource();
        var path = Path.Combine(_folder, "Plugin.dll");

        // A copy that never finishes: the file grows on every pass, however slowly this machine runs the loop.
        var writer = Task.Factory.StartNew(
            () =>
            {
                using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
                while (!stop.IsCancellationRequested)
                {
                    file.Write(new byte[100]);
                    file.Flush();
                    Thread.Sleep(1);
                }
            },
            TaskCreationOptions.LongRunning);
        try
        {
            var stable = await FolderSnapshot.WaitUntilStableAsync(_folder, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1), CancellationToken.None);

            Assert.Null(stable);
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }

        Assert.True(File.Exists(path));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A file of <paramref name="size"/> bytes, its time pinned so only what a test changes differs.</summary>
    private void WriteFile(string relative, int size)
    {
        var path = Path.Combine(_folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[size]);
        File.SetLastWriteTimeUtc(path, s_fixedTime);
    }
}
