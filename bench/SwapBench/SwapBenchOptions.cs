using System.Globalization;

namespace PluggableNet.Bench.SwapBench;

/// <summary>Command-line options: <c>--host PATH --repetitions N --seconds S --connections C --depth D</c>.</summary>
internal sealed record SwapBenchOptions
{
    /// <summary>The built host (default: src/Host/bin/Release, else Debug, found above the current directory).</summary>
    public string? HostDll { get; init; }

    /// <summary>Swaps timed for the file-change-to-first-answer latency.</summary>
    public int Repetitions { get; init; } = 24;

    /// <summary>Length of each throughput phase; four phases run (none, swapping, none, swapping).</summary>
    public int PhaseSeconds { get; init; } = 5;

    public int Connections { get; init; } = 16;

    /// <summary>Requests in flight per connection (pipelined).</summary>
    public int Depth { get; init; } = 8;

    public static SwapBenchOptions Parse(string[] args)
    {
        var options = new SwapBenchOptions();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            options = args[i] switch
            {
                "--host" => options with { HostDll = value },
                "--repetitions" => options with { Repetitions = int.Parse(value, CultureInfo.InvariantCulture) },
                "--seconds" => options with { PhaseSeconds = int.Parse(value, CultureInfo.InvariantCulture) },
                "--connections" => options with { Connections = int.Parse(value, CultureInfo.InvariantCulture) },
                "--depth" => options with { Depth = int.Parse(value, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"Unknown option {args[i]}; use --host, --repetitions, --seconds, --connections, --depth."),
            };
        }

        return options;
    }
}
