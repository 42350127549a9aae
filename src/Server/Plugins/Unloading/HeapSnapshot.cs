using System.Diagnostics;
using Microsoft.Diagnostics.NETCore.Client;

namespace PluggableNet.Server.Plugins;

/// <summary>
/// A heap dump of this very process, written by the runtime's createdump through the diagnostics port, in a private
/// temporary folder (0700, the file 0600) that <see cref="Dispose"/> deletes. A process cannot read its own heap
/// consistently while it runs; createdump suspends it only while it writes.
/// </summary>
internal sealed class HeapSnapshot : IDisposable
{
    private readonly string _folder;

    private HeapSnapshot(string folder, string path, TimeSpan writing, TimeSpan longestPause)
    {
        _folder = folder;
        Path = path;
        Writing = writing;
        LongestPause = longestPause;
        Bytes = new FileInfo(path).Length;
    }

    /// <summary>The dump file.</summary>
    public string Path { get; }

    /// <summary>The dump's size on disk.</summary>
    public long Bytes { get; }

    /// <summary>How long writing the dump took, from the request to createdump's answer.</summary>
    public TimeSpan Writing { get; }

    /// <summary>
    /// The longest stall a 1 ms ticker thread of this process saw while the dump was written: how long the process,
    /// reactors included, was suspended (give or take a millisecond).
    /// </summary>
    public TimeSpan LongestPause { get; }

    /// <summary>Writes a dump with the managed heap (<see cref="DumpType.WithHeap"/>) of this process.</summary>
    public static async Task<HeapSnapshot> TakeAsync(CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("pluggablenet-unload-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var path = System.IO.Path.Combine(folder, "host.dmp");
        using var ticker = new PauseTicker();
        var started = Stopwatch.GetTimestamp();
        try
        {
            await new DiagnosticsClient(Environment.ProcessId).WriteDumpAsync(DumpType.WithHeap, path, logDumpGeneration: false, cancellationToken).ConfigureAwait(false);
            var writing = Stopwatch.GetElapsedTime(started);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            return new HeapSnapshot(folder, path, writing, ticker.Stop());
        }
        catch
        {
            Delete(folder);
            throw;
        }
    }

    /// <summary>Whether <see cref="Dispose"/> deleted the dump (a dump left in a private temporary folder is harmless).</summary>
    public bool Deleted { get; private set; }

    public void Dispose() => Deleted = Delete(_folder);

    private static bool Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A thread that wakes every millisecond and remembers the longest gap between two wake-ups.</summary>
    private sealed class PauseTicker : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private long _longest;

        public PauseTicker()
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "pnet-dump-pause-ticker" };
            _thread.Start();
        }

        public TimeSpan Stop()
        {
            _stop = true;
            _thread.Join();
            return Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _longest));
        }

        public void Dispose()
        {
            if (!_stop)
            {
                Stop();
            }
        }

        private void Run()
        {
            var last = Stopwatch.GetTimestamp();
            while (!_stop)
            {
                Thread.Sleep(1);
                var now = Stopwatch.GetTimestamp();
                if (now - last > Interlocked.Read(ref _longest))
                {
                    Interlocked.Exchange(ref _longest, now - last);
                }

                last = now;
            }
        }
    }
}
