namespace PluggableNet.Tests.Infrastructure;

/// <summary>
/// The host as the tests run it: a copy of the built host made once per test run, in a folder only the tests own,
/// with the repository's <c>src/Host/appsettings.json</c> and only the bundled plugins.
/// </summary>
/// <remarks>
/// The build output (<c>src/Host/bin/&lt;configuration&gt;/net10.0</c>) is the user's: they run the host from it, edit
/// the <c>appsettings.json</c> copy there (copied PreserveNewest, so an edit survives rebuilds, and git does not see
/// it), and deploy their own plugins into its <c>plugins</c> folder, as the README's tour does. A test host started
/// from there would serve whatever the user left behind. This copy is taken from the sources for what they own
/// (the configuration) and from the build for what the build makes (the assemblies and the bundled plugins), so
/// only a change to the repository can change what a test host runs. It is also where the run's foreground hosts
/// put their default control sockets (<c>PLUGGABLENET_Control__Directory</c>, inherited by every child), never the
/// user's runtime directory where their own hosts are.
/// </remarks>
internal static class TestHostInstall
{
    private const string RunRootPrefix = "pnet-tests-";

    private static readonly Lazy<string> s_folder = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The folder with <c>PluggableNet.Host.dll</c>, made on first use.</summary>
    public static string Folder => s_folder.Value;

    /// <summary>What the build made, which the copy is taken from (and which no test runs).</summary>
    public static string BuildOutput => Path.Combine(TestPaths.RepoRoot, "src", "Host", "bin", TestPaths.Configuration, "net10.0");

    /// <summary>This test run's own folder, removed when the run ends.</summary>
    public static string RunRoot { get; } = Path.Combine(Path.GetTempPath(), RunRootPrefix + Environment.ProcessId);

    /// <summary>The plugins the repository builds (<c>plugins/Reverse</c>, <c>plugins/Upper</c>): the only ones a test host finds.</summary>
    public static IReadOnlyList<string> BundledPluginNames { get; } =
        [.. Directory.GetDirectories(Path.Combine(TestPaths.RepoRoot, "plugins")).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    private static string Create()
    {
        RemoveLeftoversOfEndedRuns();
        var target = Path.Combine(RunRoot, "host");
        if (Directory.Exists(target))
        {
            Directory.Delete(target, recursive: true);
        }

        var pluginsSource = Path.Combine(BuildOutput, "plugins");
        CopyTree(BuildOutput, target, skip: path =>
            path == pluginsSource || Path.GetFileName(path) == "appsettings.json" && Path.GetDirectoryName(path) == BuildOutput);
        File.Copy(Path.Combine(TestPaths.RepoRoot, "src", "Host", "appsettings.json"), Path.Combine(target, "appsettings.json"));
        foreach (var plugin in BundledPluginNames)
        {
            CopyTree(Path.Combine(pluginsSource, plugin), Path.Combine(target, "plugins", plugin), skip: _ => false);
        }

        var controlDirectory = Path.Combine(RunRoot, "control");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(controlDirectory);
        }
        else
        {
            Directory.CreateDirectory(controlDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Environment.SetEnvironmentVariable("PLUGGABLENET_Control__Directory", controlDirectory);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(RunRoot);
        return target;
    }

    private static void CopyTree(string source, string target, Func<string, bool> skip)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source).Where(f => !skip(f)))
        {
            // File.Copy keeps the mode: the apphost stays executable.
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        foreach (var directory in Directory.GetDirectories(source).Where(d => !skip(d)))
        {
            CopyTree(directory, Path.Combine(target, Path.GetFileName(directory)), skip);
        }
    }

    /// <summary>Run folders of test runs whose process is gone (killed, say): nothing else would ever remove them.</summary>
    private static void RemoveLeftoversOfEndedRuns()
    {
        foreach (var folder in Directory.GetDirectories(Path.GetTempPath(), RunRootPrefix + "*"))
        {
            if (int.TryParse(Path.GetFileName(folder).AsSpan(RunRootPrefix.Length), out var pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                TryDelete(folder);
            }
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Best effort: the next run removes it.
        }
    }
}
