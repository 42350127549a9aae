namespace PluggableNet.Bench.Driver;

/// <summary>Aggregates the measurements of a session into one <see cref="SummaryRow"/> per server and scenario.</summary>
internal static class ResultSummary
{
    public static IReadOnlyList<SummaryRow> Build(SessionResult session)
    {
        var measurements = session.Measurements;
        var baseline = measurements
            .Where(m => m.Server == ServerDefinition.KestrelName)
            .ToDictionary(m => (m.Scenario, m.Round));
        var c = measurements
            .Where(m => m.Server == ServerDefinition.CName)
            .ToDictionary(m => (m.Scenario, m.Round));

        var rows = new List<SummaryRow>();
        foreach (var group in measurements.GroupBy(m => (m.Server, m.Scenario)))
        {
            var runs = group.ToList();
            double? Ratio(Func<Measurement, double?> figure) => Median.Of(runs.Select(m =>
                baseline.TryGetValue((m.Scenario, m.Round), out var b) && figure(b) is { } denominator && denominator > 0 && figure(m) is { } numerator
                    ? numerator / denominator
                    : (double?)null));
            double? RatioC(Func<Measurement, double?> figure) => Median.Of(runs.Select(m =>
                c.TryGetValue((m.Scenario, m.Round), out var b) && figure(b) is { } denominator && denominator > 0 && figure(m) is { } numerator
                    ? numerator / denominator
                    : (double?)null));

            rows.Add(new SummaryRow
            {
                Server = group.Key.Server,
                Scenario = group.Key.Scenario,
                Rounds = runs.Count,
                RequestsPerSecond = Median.Of(runs.Select(m => (double?)m.Load.RequestsPerSecond)),
                P50Us = Median.Of(runs.Select(m => (double?)m.Load.P50Us)),
                P99Us = Median.Of(runs.Select(m => (double?)m.Load.P99Us)),
                P999Us = Median.Of(runs.Select(m => (double?)m.Load.P999Us)),
                CpuSecondsPer100K = Median.Of(runs.Select(m => m.CpuSecondsPer100K)),
                ClientCpuSecondsPer100K = Median.Of(runs.Select(m => m.ClientCpuSecondsPer100K)),
                ActiveReactors = Median.Of(runs.Select(m => (double?)m.ActiveReactors)),
                RequestsPerSecondRatioC = RatioC(m => m.Load.RequestsPerSecond),
                P99RatioC = RatioC(m => m.Load.P99Us),
                CpuRatioC = RatioC(m => m.CpuSecondsPer100K),
                AllocatedBytesPerRequest = Median.Of(runs.Select(m => m.AllocatedBytesPerRequest)),
                IdleRssBytesPerConnection = Median.Of(runs.Select(m => m.IdleRssBytesPerConnection)),
                RequestsPerSecondRatio = Ratio(m => m.Load.RequestsPerSecond),
                P99Ratio = Ratio(m => m.Load.P99Us),
                CpuRatio = Ratio(m => m.CpuSecondsPer100K),
                AllocatedRatio = Ratio(m => m.AllocatedBytesPerRequest),
                Errors = runs.Sum(m => m.Errors),
            });
        }

        return rows.Select(row => WithIdleComparison(row, measurements)).ToList();
    }

    /// <summary>For the idle scenario: did holding the idle connections change the active pingpong figures?</summary>
    private static SummaryRow WithIdleComparison(SummaryRow row, IReadOnlyList<Measurement> measurements)
    {
        if (row.Scenario != Scenario.Idle)
        {
            return row;
        }

        var idle = measurements.Where(m => m.Server == row.Server && m.Scenario == Scenario.Idle).ToList();
        var plain = measurements.Where(m => m.Server == row.Server && m.Scenario == Scenario.PingPong).ToDictionary(m => m.Round);
        double? Ratio(Func<Measurement, double> figure) => Median.Of(idle.Select(m =>
            plain.TryGetValue(m.Round, out var p) && figure(p) > 0 ? figure(m) / figure(p) : (double?)null));

        return row with
        {
            ActiveWithIdleRatio = Ratio(m => m.Load.RequestsPerSecond),
            ActiveWithIdleP99Ratio = Ratio(m => m.Load.P99Us),
        };
    }
}
