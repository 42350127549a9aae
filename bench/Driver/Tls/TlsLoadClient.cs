using System.Diagnostics;
using System.Globalization;
using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Driver.Tls;

/// <summary>
/// Builds and runs bench/Baselines/C/tlsload.c (OpenSSL, one thread, epoll) as a child process; its "measuring" and
/// "measured" lines drive the server sampler, as with the plain C load generator.
/// </summary>
internal sealed class TlsLoadClient(string executable)
{
    /// <summary>Compiles tlsload.c with the system compiler against OpenSSL (libssl-dev), when the source is newer.</summary>
    public static TlsLoadClient Build()
    {
        var source = Path.Combine(CBaseline.SourceDirectory, "tlsload.c");
        var output = Directory.CreateDirectory(Path.Combine(CBaseline.SourceDirectory, "bin")).FullName;
        var binary = Path.Combine(output, "pluggablenet-c-tlsload");
        if (!File.Exists(binary) || File.GetLastWriteTimeUtc(binary) < File.GetLastWriteTimeUtc(source))
        {
            var compiler = Environment.GetEnvironmentVariable("CC") is { Length: > 0 } cc ? cc : "cc";
            var info = new ProcessStartInfo(compiler) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var argument in new[] { "-O2", "-Wall", "-Wextra", "-o", binary, source, "-lssl", "-lcrypto" })
            {
                info.ArgumentList.Add(argument);
            }

            using var process = Process.Start(info) ?? throw new InvalidOperationException($"{compiler} did not start");
            var errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{compiler} -O2 {source} -lssl -lcrypto failed ({process.ExitCode}; is libssl-dev installed?): {errors}");
            }
        }

        return new TlsLoadClient(binary);
    }

    public async Task<LoadResult> RunAsync(int port, TlsScenario scenario, TlsBenchOptions options, ILoadObserver observer, CancellationToken cancellationToken)
    {
        List<string> arguments =
        [
            "-a", "127.0.0.1",
            "-p", port.ToString(CultureInfo.InvariantCulture),
            "-m", scenario.Mode,
            "-c", scenario.Connections.ToString(CultureInfo.InvariantCulture),
            "-d", scenario.Depth.ToString(CultureInfo.InvariantCulture),
            "-s", scenario.PayloadBytes.ToString(CultureInfo.InvariantCulture),
            "-t", options.Duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture),
            "-w", options.Warmup.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture),
            "-n", TlsBenchCertificate.HostName,
        ];
        if (options.TlsVersion != 0)
        {
            arguments.AddRange(["-V", options.TlsVersion.ToString(CultureInfo.InvariantCulture)]);
        }

        void OnLine(string line, bool isError)
        {
            if (!isError && line == "measuring")
            {
                observer.OnMeasurementStarting();
            }
            else if (!isError && line == "measured")
            {
                observer.OnMeasurementEnded();
            }
        }

        var limit = options.Warmup + options.Duration + TimeSpan.FromSeconds(30);
        await using var process = ChildProcess.Start(executable, arguments, onLine: OnLine, deadline: limit);
        var exitCode = await process.WaitForExitAsync(limit, cancellationToken).ConfigureAwait(false);
        var json = process.Output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith('{'));
        return (json is null ? null : LoadResult.FromJson(json))
            ?? throw new InvalidOperationException($"tlsload printed no result (exit {exitCode}): {process.Error}");
    }
}
