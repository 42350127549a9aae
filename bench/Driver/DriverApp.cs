namespace PluggableNet.Bench.Driver;

/// <summary>Runs a session and writes its three outputs; callable in-process by tests.</summary>
internal static class DriverApp
{
    /// <summary>Parses <paramref name="args"/> like the command line and runs; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter log) => DriverCommand.Create(log).Parse(args).InvokeAsync();

    public static async Task<int> RunAsync(DriverOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var session = await new BenchmarkSession(options, log).RunAsync(cancellationToken).ConfigureAwait(false);
        var rows = ResultSummary.Build(session);

        Directory.CreateDirectory(options.OutputDirectory);
        var markdown = MarkdownReport.Render(session, rows);
        await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "results.md"), markdown, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "results.json"), JsonReport.Render(session, rows), cancellationToken).ConfigureAwait(false);
        try
        {
            ChartRenderer.Save(session, rows, Path.Combine(options.OutputDirectory, "chart.png"));
        }
        catch (Exception ex) when (ex is TypeInitializationException or DllNotFoundException or InvalidOperationException)
        {
            // A missing native Skia library must not hide the measurements, which are already written.
            await log.WriteLineAsync($"warning: chart.png not written: {ex.Message}").ConfigureAwait(false);
        }

        await log.WriteLineAsync(markdown).ConfigureAwait(false);
        await log.WriteLineAsync($"results written to {options.OutputDirectory}").ConfigureAwait(false);
        if (!session.Succeeded)
        {
            await log.WriteLineAsync($"FAILED: {session.TotalErrors} LoadGen error(s), {session.Failures.Count} server failure(s).").ConfigureAwait(false);
            return 1;
        }

        return 0;
    }
}
