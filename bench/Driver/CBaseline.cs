using System.Diagnostics;

namespace PluggableNet.Bench.Driver;

/// <summary>
/// Builds the C baseline servers and load generators (bench/Baselines/C) with the system compiler (<c>cc -O2</c>) at
/// run time, into bench/Baselines/C/bin: no binary is committed, and every rerun uses the machine's own compiler.
/// </summary>
internal static class CBaseline
{
    public static string SourceDirectory => Path.Combine(RepoPaths.Root, "bench", "Baselines", "C");

    /// <summary>Compiles both programs (when their source is newer than the binary); returns (server, loadgen).</summary>
    public static (string Server, string LoadGen) Build()
    {
        var output = Directory.CreateDirectory(Path.Combine(SourceDirectory, "bin")).FullName;
        return (Compile("server", output), Compile("loadgen", output));
    }

    /// <summary>Compiles the fan-out pair (issue 21): the broadcast server and its load generator; returns (server, loadgen).</summary>
    public static (string Server, string LoadGen) BuildFanout()
    {
        var output = Directory.CreateDirectory(Path.Combine(SourceDirectory, "bin")).FullName;
        return (Compile("broadcast", output), Compile("fanout", output, "-pthread"));
    }

    private static string Compile(string name, string output, params string[] extra)
    {
        var source = Path.Combine(SourceDirectory, name + ".c");
        var binary = Path.Combine(output, "pluggablenet-c-" + name);
        if (File.Exists(binary) && File.GetLastWriteTimeUtc(binary) >= File.GetLastWriteTimeUtc(source))
        {
            return binary;
        }

        var compiler = Environment.GetEnvironmentVariable("CC") is { Length: > 0 } cc ? cc : "cc";
        var info = new ProcessStartInfo(compiler) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in (string[])["-O2", "-Wall", "-Wextra", .. extra, "-o", binary, source])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{compiler} did not start");
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{compiler} -O2 {source} failed ({process.ExitCode}): {errors}");
        }

        return binary;
    }
}
