namespace PluggableNet.Bench.Driver;

/// <summary>Settings of one driver invocation.</summary>
internal sealed record DriverOptions
{
    /// <summary>Rounds; each round runs every server once, in the same order (A B C A B C ...).</summary>
    public int Rounds { get; init; } = 3;

    /// <summary>Measured window of each scenario run.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Unmeasured warm-up before each scenario run (also the time <c>ReactorThreads=auto</c> has to settle).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Scenario names to run, in order.</summary>
    public IReadOnlyList<string> Scenarios { get; init; } = Scenario.Names;

    /// <summary>Server names to run, in order: any of <see cref="ServerDefinition.KnownNames"/>.</summary>
    public IReadOnlyList<string> Servers { get; init; } = ["epoll", "sockets", ServerDefinition.KestrelName, ServerDefinition.CName];

    /// <summary>The load generator: <c>c</c> (bench/Baselines/C/loadgen.c, the default: lightest) or <c>dotnet</c> (in-process PluggableNet.LoadGen).</summary>
    public string Client { get; init; } = "c";

    /// <summary>Folder for results.md, results.json and chart.png.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Path of PluggableNet.Host.dll.</summary>
    public required string HostDll { get; init; }

    /// <summary>Another build's PluggableNet.Host.dll, served as <c>base-epoll</c> (with today's default limits), or null.</summary>
    public string? BaseHostDll { get; init; }

    /// <summary>Path of PluggableNet.Baselines.Kestrel.dll.</summary>
    public required string KestrelDll { get; init; }

    /// <summary>Tiny settings for a quick check that everything works.</summary>
    public bool Smoke { get; init; }

    /// <summary>The command line, as recorded in the report.</summary>
    public string CommandLine { get; init; } = string.Empty;
}
