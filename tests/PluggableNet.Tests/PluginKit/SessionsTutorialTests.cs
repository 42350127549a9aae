using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.PluginKit;

/// <summary>
/// docs/sessions-tutorial.md, run as a reader runs it, in the page's order: every line of its <c>sh</c> blocks by bash
/// in a fresh folder holding this run's packages; its excerpts found in what the template generated; its files written
/// and its diffs applied as shown; its conversations typed into two connections that stay open from version 1 through
/// the swap to version 2, every frame compared with the table.
/// </summary>
/// <remarks>
/// What differs from a reader's machine, and only that: <c>dotnet</c> is a shim first on PATH (as in
/// <see cref="NewcomerTourTests"/>) that runs <c>dotnet run --project src/Host</c> as this build's host on a free port,
/// makes <c>tool restore</c> and <c>cake</c> no-ops (the <see cref="KitPackages"/> fixture packed this build) and gives
/// <c>dotnet new</c> a private template hive; <c>127.0.0.1:9090</c> in a line becomes that port. The page's host runs
/// on epoll; a second host on the sockets transport serves the same plugins folder, and every conversation is held
/// with it too, so one deploy swaps both.
/// </remarks>
[Collection(KitCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class SessionsTutorialTests(KitPackages kit) : IAsyncLifetime
{
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromMinutes(4);

    private readonly string _root = kit.NewFolder("tutorial");
    private readonly List<IAsyncDisposable> _started = [];
    private readonly List<(IPEndPoint EndPoint, Dictionary<string, FrameClient> People)> _hosts = [];
    private ChildProcess? _host;
    private RunningHost? _sockets;

    [LinuxFact]
    public async Task TheTutorialRunsAsWrittenAndItsSessionsKeepTheirNicknamesThroughTheSwap()
    {
        var steps = Steps();
        Assert.Equal(["sh", "sh", "excerpt", "excerpt", "excerpt", "file", "file", "file", "sh", "sh", "talk", "sh", "sh", "file", "patch", "patch", "sh", "sh", "talk", "sh"], steps.Select(s => s.Kind));
        foreach (var step in steps)
        {
            switch (step.Kind)
            {
                case "sh":
                    foreach (var line in step.Text.Split('\n').Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')))
                    {
                        await RunLineAsync(line);
                    }

                    break;
                case "excerpt":
                    Assert.Contains(step.Text, File.ReadAllText(Path.Combine(_root, "tour", step.Argument)).ReplaceLineEndings("\n"), StringComparison.Ordinal);
                    break;
                case "file":
                    File.WriteAllText(Path.Combine(_root, "tour", step.Argument), step.Text + "\n");
                    break;
                case "patch":
                    var patch = Path.Combine(_root, "step.diff");
                    File.WriteAllText(patch, step.Text + "\n");
                    await RunAsync("git", ["apply", "-p0", patch], Path.Combine(_root, "tour"));
                    break;
                case "talk":
                    await TalkAsync(step.Text, step.Argument);
                    break;
            }
        }

        Assert.NotNull(_host);
        Assert.Equal(0, await _host.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    public Task InitializeAsync()
    {
        var packages = Path.Combine(_root, "artifacts", "packages");
        Directory.CreateDirectory(packages);
        foreach (var package in Directory.GetFiles(kit.Feed, "*.nupkg"))
        {
            File.Copy(package, Path.Combine(packages, Path.GetFileName(package)));
        }

        Directory.CreateDirectory(Path.Combine(_root, "tour"));
        Directory.CreateDirectory(Path.Combine(_root, "home"));
        Directory.CreateDirectory(Path.Combine(_root, "shim"));
        var shim = Path.Combine(_root, "shim", "dotnet");
        File.WriteAllText(shim, Shim);
        File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var person in _hosts.SelectMany(h => h.People.Values))
        {
            person.Dispose();
        }

        foreach (var started in _started)
        {
            await started.DisposeAsync();
        }
    }

    /// <summary>One line of an <c>sh</c> block: the host in the background, a line with <c># output</c> compared with it, the rest required to succeed.</summary>
    private async Task RunLineAsync(string line)
    {
        if (HostRunPattern().IsMatch(line))
        {
            _host = Bash(line);
            var listening = await _host.WaitForLineAsync(l => ListeningLine.Find(l) is not null, TimeSpan.FromSeconds(60));
            _hosts.Add((new IPEndPoint(IPAddress.Loopback, ListeningLine.Find(listening)!.Port), []));
            await _host.WaitForOutputAsync("Control socket ", TimeSpan.FromSeconds(10));

            // The same plugins folder served on the other transport: the conversations are held there too.
            _sockets = await RunningHost.StartAsync("Sockets", [$"--Logic:PluginsPath={Path.Combine(_root, "tour", "plugins")}", "--Logic:Plugin=Chat", "--Logic:HotReload=true"]);
            _started.Add(_sockets);
            _hosts.Add((_sockets.EndPoint, []));
            return;
        }

        if (line.StartsWith("dotnet build tour/Chat -p:PluggableNetPluginsPath", StringComparison.Ordinal) && _host is not null)
        {
            // A deploy into the running hosts: the page's host logs the swap; the next step waits for both.
            await RunBashAsync(line);
            await _host.WaitForOutputAsync("Swapped plugin Chat 1.0.0 (generation 1) → Chat 2.0.0 (generation 2)", TimeSpan.FromSeconds(60));
            await _sockets!.StatusAsync(s => s.Generation >= 2, TimeSpan.FromSeconds(60));
            return;
        }

        var output = (await RunBashAsync(line.Replace("127.0.0.1:9090", $"127.0.0.1:{_hosts.FirstOrDefault().EndPoint?.Port}", StringComparison.Ordinal))).Trim();
        if (line.Contains(" send ", StringComparison.Ordinal))
        {
            Assert.Equal(line[(line.IndexOf('#', StringComparison.Ordinal) + 1)..].Trim(), output);
        }
        else if (line.EndsWith("-- status", StringComparison.Ordinal) || line.Contains("-- status ", StringComparison.Ordinal))
        {
            Assert.Contains("plugin:       Chat 2.0.0 (generation 2, 1 swap(s) so far)", output, StringComparison.Ordinal);
            Assert.Contains("state moves 1 succeeded, 0 rolled back", output, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// A conversation table: each row's request typed (with Enter, as into <c>nc</c>) into that person's connection
    /// to every host, then each person's column read off their connection, frame by frame, header included.
    /// </summary>
    private async Task TalkAsync(string table, string version)
    {
        var rows = table.Split('\n').Skip(2).Where(r => r.StartsWith('|')).Select(r => r.Trim('|').Split('|').Select(c => c.Trim().Trim('`')).ToArray()).ToList();
        Assert.NotEmpty(rows);
        foreach (var (endPoint, people) in _hosts)
        {
            foreach (var row in rows)
            {
                var (who, request, forAnn, forBo) = (row[0], row[1], row[2], row[3]);
                if (!people.TryGetValue(who, out var typing))
                {
                    people[who] = typing = FrameClient.Connect(endPoint);
                }

                await typing.SendRawAsync(request + "\n");
                foreach (var (person, expected) in new[] { ("ann", forAnn), ("bo", forBo) }.Where(e => e.Item2.Length > 0))
                {
                    var frame = await people[person].ReadStringAsync(TimeSpan.FromSeconds(10));
                    Assert.Equal(expected, string.Create(CultureInfo.InvariantCulture, $"{Encoding.UTF8.GetByteCount(frame):D5}{frame}"));
                }
            }

            if (version == "2")
            {
                // And a v2 client of either host sees the room as the v1 clients left it.
                using var v2 = await V2Connection.OpenAsync(endPoint);
                Assert.Equal("ann bo", await v2.AskAsync(1, "WHO lobby"));
            }
        }
    }

    private ChildProcess Bash(string line)
    {
        var process = ChildProcess.Start("bash", ["-c", line], ReaderEnvironment(), _root, deadline: TimeSpan.FromMinutes(10));
        _started.Add(process);
        return process;
    }

    private async Task<string> RunBashAsync(string line) => await RunAsync("bash", ["-c", line], _root);

    private async Task<string> RunAsync(string program, string[] arguments, string folder)
    {
        await using var process = ChildProcess.Start(program, arguments, ReaderEnvironment(), folder, deadline: s_commandTimeout + TimeSpan.FromMinutes(1));
        var exitCode = await process.WaitForExitAsync(s_commandTimeout);
        Assert.True(exitCode == 0, $"'{program} {string.Join(' ', arguments)}' failed with exit code {exitCode}:{Environment.NewLine}{process.Output}{process.Error}{Environment.NewLine}host: {_host?.Output}{_host?.Error}");
        return process.Output + process.Error;
    }

    private IEnumerable<KeyValuePair<string, string?>> ReaderEnvironment() =>
    [
        .. KitPackages.CleanEnvironment(),
        new("PATH", Path.Combine(_root, "shim") + ":" + Environment.GetEnvironmentVariable("PATH")),
        new("HOME", Path.Combine(_root, "home")),
        new("DOTNET_CLI_HOME", Path.Combine(_root, "home")),
        new("PLUGGABLENET_Control__Directory", Path.Combine(_root, "run")),
        new("TUTORIAL_DOTNET", ChildProcess.Dotnet),
        new("TUTORIAL_HOST_DLL", TestPaths.HostDll),
        new("TUTORIAL_HIVE", Path.Combine(_root, "template-hive")),
    ];

    /// <summary>The page's steps in order: <c>sh</c> blocks, and the blocks and tables its markers name.</summary>
    private static List<(string Kind, string Argument, string Text)> Steps()
    {
        var page = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "sessions-tutorial.md")).ReplaceLineEndings("\n");
        Assert.DoesNotContain("TODO", page, StringComparison.Ordinal);
        return StepPattern().Matches(page).Select(m => m.Groups["sh"].Success
                ? ("sh", string.Empty, m.Groups["sh"].Value)
                : m.Groups["table"].Success
                    ? ("talk", m.Groups["talk"].Value, m.Groups["table"].Value)
                    : (m.Groups["kind"].Value, m.Groups["argument"].Value.Split(' ')[^1], m.Groups["code"].Value))
            .ToList();
    }

    // The page's dotnet, pointed at this test's host, packages and template hive (see the remarks above).
    private const string Shim = """
        #!/usr/bin/env bash
        set -euo pipefail
        if [[ $# -ge 3 && "$1" == run && "$2" == --project && "$3" == src/Host ]]; then
            shift 3
            if [[ "${1-}" == -- ]]; then shift; fi
            if [[ $# -eq 0 || "$1" == --* ]]; then
                exec "$TUTORIAL_DOTNET" "$TUTORIAL_HOST_DLL" "$@" --Server:Address=127.0.0.1 --Server:Port=0
            fi
            exec "$TUTORIAL_DOTNET" "$TUTORIAL_HOST_DLL" "$@"
        fi
        case "${1-}" in
            tool) [[ "${2-}" == restore ]] && exit 0 ;;
            cake) exit 0 ;;
            new) exec "$TUTORIAL_DOTNET" "$@" --debug:custom-hive "$TUTORIAL_HIVE" ;;
            build|test) verb=$1; shift; exec "$TUTORIAL_DOTNET" "$verb" --disable-build-servers "$@" ;;
        esac
        exec "$TUTORIAL_DOTNET" "$@"

        """;

    // A marked block or table, or an sh block, in page order.
    [GeneratedRegex(@"<!-- tutorial-(?<kind>excerpt|file|patch): (?<argument>[^>]*?) -->\n```\w*\n(?<code>.*?)\n```|<!-- tutorial-talk: (?<talk>\d) -->\n(?<table>(?:\|[^\n]*\n?)+)|^```sh\n(?<sh>.*?)\n```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex StepPattern();

    // The host run in the foreground: `dotnet run --project src/Host` with options only, no verb.
    [GeneratedRegex(@"^dotnet run --project src/Host( -- --\S.*)?$")]
    private static partial Regex HostRunPattern();
}
