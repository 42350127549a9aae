namespace PluggableNet.Bench.Driver;

/// <summary>Everything one driver run measured, before aggregation.</summary>
internal sealed record SessionResult(
    DriverOptions Options,
    MachineInfo Machine,
    DateTimeOffset Started,
    DateTimeOffset Finished,
    IReadOnlyList<Measurement> Measurements,
    IReadOnlyList<string> Failures)
{
    /// <summary>Sum of all LoadGen errors and idle connect failures.</summary>
    public long TotalErrors => Measurements.Sum(m => m.Errors);

    /// <summary>True when every server started, every run verified every answer and nothing failed.</summary>
    public bool Succeeded => Failures.Count == 0 && TotalErrors == 0 && Measurements.Count > 0;
}
