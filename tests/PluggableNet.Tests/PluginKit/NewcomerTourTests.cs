using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.PluginKit;

/// <summary>
/// The README's five-minute tour, run as a newcomer runs it: every command line of the tour's <c>sh</c> blocks is
/// read from README.md and run by bash, in a fresh "clone" (the repository's committed <c>tour/</c> folder and this run's
/// packages in <c>artifacts/packages</c>), with a temporary HOME to see that nothing user-wide is written.
/// </summary>
/// <remarks>
/// What differs from a real clone, and only that: <c>dotnet</c> is a shim first on PATH that points
/// <c>dotnet run --project src/Host</c> at the test's copy of the host (loopback, a free port instead of 9090, a plugins
/// folder of its own), makes <c>dotnet tool restore</c> and <c>dotnet cake --target=Pack</c> no-ops (the
/// <see cref="KitPackages"/> fixture packed this build already) and gives <c>dotnet new</c> a private template hive;
/// <c>printf … | nc …</c> lines are sent by the test itself (nc is not installed everywhere), checked against the answer
/// the line's comment shows. The connection the README keeps open in a third terminal is one the test keeps open
/// from step 2 to the end: the switch and the rebuild must reach it.
/// </remarks>
[Collection(KitCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class NewcomerTourTests(KitPackages kit) : IAsyncLifetime
{
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromMinutes(4);

    private readonly string _clone = TestPaths.NewTempDirectory("pnet-tour");
    private readonly List<IAsyncDisposable> _started = [];
    private int _port;

    private string Home => Path.Combine(_clone, "home");

    private string Plugins => Path.Combine(_clone, "host-plugins");

    [LinuxFact]
    public async Task TheReadmeTourRunsAsWrittenFromAFreshClone()
    {
        var steps = TourBlocks();
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, steps.Select(s => s.Step).Distinct());
        var tour = TourSection();
        Assert.DoesNotContain("TODO", tour, StringComparison.Ordinal);

        // 1. Run the server.
        var host = await RunBlockAsync(Block(steps, 1, 0));
        Assert.NotNull(host);

        // 2. Talk to it; status finds the host started in the foreground with no options.
        var results = await RunBlockAsync(Block(steps, 2, 0), host);
        var status = Assert.Single(results, r => r.Line.EndsWith("-- status", StringComparison.Ordinal) || r.Line.Contains("-- status ", StringComparison.Ordinal)).Output;
        Assert.Contains($"pid:          {host.Id}", status, StringComparison.Ordinal);
        Assert.Contains("plugin:       Reverse 1.0.0 (generation 1", status, StringComparison.Ordinal);
        Assert.Contains($"plugins:      {Plugins}", status, StringComparison.Ordinal);

        // The third terminal: a connection kept open, with lines typed into it.
        Assert.Contains("`00005hello`", tour, StringComparison.Ordinal);
        Assert.Contains("`00005olleh`", tour, StringComparison.Ordinal);
        using var kept = FrameClient.Connect(new IPEndPoint(IPAddress.Loopback, _port));
        Assert.Equal("olleh", await TypeAsync(kept, "00005hello"));

        // 3. The packages, the template, a plugin.
        await RunBlockAsync(Block(steps, 3, 0), host);
        Assert.True(File.Exists(Path.Combine(_clone, "tour", "Shout", "ShoutPlugin.cs")));

        // 4. Deploy into the running host, switch to it live: the kept connection gets the new plugin.
        Assert.Contains("`00006HELLO!`", tour, StringComparison.Ordinal);
        await RunBlockAsync(Block(steps, 4, 0), host);
        Assert.True(File.Exists(Path.Combine(Plugins, "Shout", "Shout.dll")), "the build deployed into the running host's plugins folder");
        await AnswersBecomeAsync(kept, "HELLO!", before: "olleh", host);

        // ... change it, rebuild: the same connection gets the change.
        Assert.Contains("`00008HELLO!!!`", tour, StringComparison.Ordinal);
        await RunBlockAsync(Block(steps, 4, 1), host);
        await AnswersBecomeAsync(kept, "HELLO!!!", before: "HELLO!", host);

        // 5. status, reload, stop, each finding the foreground host with no options.
        var last = await RunBlockAsync(Block(steps, 5, 0), host);
        var shown = CommentAfter(last[0].Line);
        Assert.StartsWith("plugin Shout 1.0.0 (generation ", shown, StringComparison.Ordinal);
        Assert.Contains("plugin:       " + shown["plugin ".Length..(shown.IndexOf(')', StringComparison.Ordinal) + 1)], last[0].Output, StringComparison.Ordinal);
        Assert.Contains("reloaded: plugin Shout version 1.0.0", last[1].Output, StringComparison.Ordinal);
        Assert.Contains($"stopped (pid {host.Id})", last[2].Output, StringComparison.Ordinal);
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        // Nothing user-wide: NuGet may create its default user config in the (temporary) HOME, but never with the clone in it.
        foreach (var file in Directory.EnumerateFiles(Home, "*", SearchOption.AllDirectories).Where(f => f.EndsWith(".config", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".Config", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(_clone, File.ReadAllText(file), StringComparison.Ordinal);
        }
    }

    public Task InitializeAsync()
    {
        // The clone: the committed tour/ folder (what its .gitignore keeps), the packages Pack makes, and no user files.
        var tour = Path.Combine(_clone, "tour");
        Directory.CreateDirectory(tour);
        var committed = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "tour", ".gitignore"))
            .Where(l => l.StartsWith("!/", StringComparison.Ordinal)).Select(l => l[2..]);
        foreach (var name in committed)
        {
            File.Copy(Path.Combine(TestPaths.RepoRoot, "tour", name), Path.Combine(tour, name));
        }

        var packages = Path.Combine(_clone, "artifacts", "packages");
        Directory.CreateDirectory(packages);
        foreach (var package in Directory.GetFiles(kit.Feed, "*.nupkg"))
        {
            File.Copy(package, Path.Combine(packages, Path.GetFileName(package)));
        }

        // The host's plugins folder: the bundled Reverse, and whatever the tour deploys.
        CopyTree(Path.Combine(TestPaths.BundledPlugins, "Reverse"), Path.Combine(Plugins, "Reverse"));
        Directory.CreateDirectory(Home);
        var shim = Path.Combine(_clone, "shim");
        Directory.CreateDirectory(shim);
        File.WriteAllText(Path.Combine(shim, "dotnet"), Shim);
        File.SetUnixFileMode(Path.Combine(shim, "dotnet"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var started in _started)
        {
            await started.DisposeAsync();
        }

        try
        {
            Directory.Delete(_clone, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    /// <summary>
    /// Runs a block's lines in order: the host in the background (returned), <c>printf | nc</c> by the test, the rest by
    /// bash, each required to succeed.
    /// </summary>
    private async Task<ChildProcess?> RunBlockAsync(IReadOnlyList<string> lines)
    {
        ChildProcess? host = null;
        foreach (var line in lines)
        {
            if (HostRunPattern().IsMatch(line))
            {
                host = Bash(line);
                var listening = await host.WaitForLineAsync(l => ListeningLine.Find(l) is not null, TimeSpan.FromSeconds(60));
                _port = ListeningLine.Find(listening)!.Port;
                await host.WaitForOutputAsync("Control socket ", TimeSpan.FromSeconds(10));
            }
            else
            {
                await RunLineAsync(line);
            }
        }

        return host;
    }

    private async Task<List<(string Line, string Output)>> RunBlockAsync(IReadOnlyList<string> lines, ChildProcess host)
    {
        var results = new List<(string, string)>();
        foreach (var line in lines)
        {
            Assert.False(HostRunPattern().IsMatch(line), $"a second host in the tour: {line}");
            Assert.False(host.HasExited && !line.Contains("-- stop", StringComparison.Ordinal), $"the host exited before '{line}': {host.Output}{host.Error}");
            results.Add((line, await RunLineAsync(line)));
        }

        return results;
    }

    private async Task<string> RunLineAsync(string line)
    {
        if (NcPattern().Match(line) is { Success: true } nc)
        {
            Assert.Equal("9090", nc.Groups["port"].Value);
            using var client = FrameClient.Connect(new IPEndPoint(IPAddress.Parse(nc.Groups["address"].Value), _port));
            await client.SendRawAsync(nc.Groups["request"].Value);
            var answer = await client.ReadStringAsync(TimeSpan.FromSeconds(10));
            var expected = CommentAfter(line);
            Assert.Equal(expected, string.Create(CultureInfo.InvariantCulture, $"{answer.Length:D5}{answer}"));
            return expected;
        }

        await using var process = Bash(line);
        var exitCode = await process.WaitForExitAsync(s_commandTimeout);
        Assert.True(exitCode == 0, $"'{line}' failed with exit code {exitCode}:{Environment.NewLine}{process.Output}{process.Error}");
        return process.Output + process.Error;
    }

    private ChildProcess Bash(string line)
    {
        var process = ChildProcess.Start("bash", ["-c", line], TourEnvironment(), _clone, deadline: TimeSpan.FromMinutes(10));
        _started.Add(process);
        return process;
    }

    private IEnumerable<KeyValuePair<string, string?>> TourEnvironment() =>
    [
        .. KitPackages.CleanEnvironment(),
        new("PATH", Path.Combine(_clone, "shim") + ":" + Environment.GetEnvironmentVariable("PATH")),
        new("HOME", Home),
        new("DOTNET_CLI_HOME", Home),

        // Read-only: packages the machine already has need not be downloaded again; the tour writes only its own folder.
        new("NUGET_FALLBACK_PACKAGES", KitPackages.MachinePackages()),
        new("NUGET_PACKAGES", null),
        new("PLUGGABLENET_Control__Directory", Path.Combine(_clone, "run")),
        new("TOUR_DOTNET", ChildProcess.Dotnet),
        new("TOUR_HOST_DLL", TestPaths.HostDll),
        new("TOUR_PLUGINS", Plugins),
        new("TOUR_HIVE", Path.Combine(_clone, "template-hive")),
    ];

    /// <summary>
    /// Types <paramref name="line"/> and Enter into the kept connection, as into <c>nc</c>: the line ending is harmless
    /// between frames.
    /// </summary>
    private static async Task<string> TypeAsync(FrameClient client, string line)
    {
        await client.SendRawAsync(line + "\n");
        return await client.ReadStringAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Types on the kept connection until <paramref name="expected"/> comes back; until then only <paramref name="before"/>, and never again after.</summary>
    private static async Task AnswersBecomeAsync(FrameClient client, string expected, string before, ChildProcess host)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string answer;
        while ((answer = await TypeAsync(client, "00005hello")) != expected)
        {
            Assert.Equal(before, answer);
            Assert.True(DateTime.UtcNow < deadline, $"still '{answer}' on the kept connection; host: {host.Output}{host.Error}");
            await Task.Delay(50);
        }

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(expected, await TypeAsync(client, "00005hello"));
        }
    }

    /// <summary>The tour's <c>sh</c> blocks by step: their command lines (comment-only and empty lines dropped).</summary>
    private static List<(int Step, List<string> Lines)> TourBlocks()
    {
        var blocks = new List<(int, List<string>)>();
        var step = 0;
        foreach (Match match in TourPartPattern().Matches(TourSection()))
        {
            if (match.Groups["step"].Success)
            {
                step = int.Parse(match.Groups["step"].Value, CultureInfo.InvariantCulture);
                continue;
            }

            var lines = match.Groups["code"].Value.Split('\n').Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')).ToList();
            blocks.Add((step, lines));
        }

        return blocks;
    }

    private static List<string> Block(List<(int Step, List<string> Lines)> blocks, int step, int index) =>
        blocks.Where(b => b.Step == step).ElementAt(index).Lines;

    private static string TourSection()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md")).ReplaceLineEndings("\n");
        var start = readme.IndexOf("## A five-minute tour", StringComparison.Ordinal);
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "README.md has no tour section");
        return readme[start..end];
    }

    /// <summary>What a line's comment says it shows (<c># answers 00005edcba</c> → <c>00005edcba</c>).</summary>
    private static string CommentAfter(string line)
    {
        var comment = line[(line.IndexOf('#', StringComparison.Ordinal) + 1)..].Trim();
        return comment.StartsWith("answers ", StringComparison.Ordinal) ? comment["answers ".Length..] : comment;
    }

    private static void CopyTree(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        foreach (var directory in Directory.GetDirectories(source))
        {
            CopyTree(directory, Path.Combine(target, Path.GetFileName(directory)));
        }
    }

    // The README's dotnet, pointed at this test's host, packages and template hive (see the remarks above).
    private const string Shim = """
        #!/usr/bin/env bash
        set -euo pipefail
        if [[ $# -ge 3 && "$1" == run && "$2" == --project && "$3" == src/Host ]]; then
            shift 3
            if [[ "${1-}" == -- ]]; then shift; fi
            if [[ $# -eq 0 || "$1" == --* ]]; then
                exec "$TOUR_DOTNET" "$TOUR_HOST_DLL" "$@" --Server:Address=127.0.0.1 --Server:Port=0 "--Logic:PluginsPath=$TOUR_PLUGINS"
            fi
            exec "$TOUR_DOTNET" "$TOUR_HOST_DLL" "$@"
        fi
        case "${1-}" in
            tool) [[ "${2-}" == restore ]] && exit 0 ;;
            cake) exit 0 ;;
            new) exec "$TOUR_DOTNET" "$@" --debug:custom-hive "$TOUR_HIVE" ;;
            build) shift; exec "$TOUR_DOTNET" build --disable-build-servers "$@" ;;
        esac
        exec "$TOUR_DOTNET" "$@"

        """;

    // "### N." headings and ```sh blocks, in order.
    [GeneratedRegex(@"^### (?<step>\d+)\.|^```sh\n(?<code>.*?)\n```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex TourPartPattern();

    // The host run in the foreground: `dotnet run --project src/Host` with options only, no verb.
    [GeneratedRegex(@"^dotnet run --project src/Host( -- --\S.*)?$")]
    private static partial Regex HostRunPattern();

    [GeneratedRegex(@"^printf (?<request>\S+) \| nc -q1 (?<address>[\d.]+) (?<port>\d+)\s+#")]
    private static partial Regex NcPattern();
}
