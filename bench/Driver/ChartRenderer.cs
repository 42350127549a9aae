using ScottPlot;

namespace PluggableNet.Bench.Driver;

/// <summary>
/// Draws chart.png with ScottPlot: three panels of grouped bars (requests/s ×C, requests/s ×Kestrel, p99 ×C),
/// one group per scenario and one bar colour per server.
/// </summary>
internal static class ChartRenderer
{
    public static void Save(SessionResult session, IReadOnlyList<SummaryRow> rows, string path)
    {
        var scenarios = session.Options.Scenarios.Where(s => rows.Any(r => r.Scenario == s)).ToList();
        var servers = rows.Select(r => r.Server).Distinct().OrderBy(s => MarkdownReport.ServerOrder(session, s)).ToList();

        var multiplot = new Multiplot();
        multiplot.AddPlots(3);
        Fill(multiplot.GetPlot(0), rows, scenarios, servers, r => r.RequestsPerSecondRatioC, "Requests per second ×C (median of per-round ratios, higher is better)", "×C");
        Fill(multiplot.GetPlot(1), rows, scenarios, servers, r => r.RequestsPerSecondRatio, "Requests per second ×Kestrel (higher is better)", "×Kestrel");
        Fill(multiplot.GetPlot(2), rows, scenarios, servers, r => r.P99RatioC, "p99 latency ×C (lower is better)", "×C");
        multiplot.SavePng(path, 1200, 1200);
    }

    private static void Fill(Plot plot, IReadOnlyList<SummaryRow> rows, IReadOnlyList<string> scenarios, IReadOnlyList<string> servers, Func<SummaryRow, double?> figure, string title, string unit)
    {
        var palette = new ScottPlot.Palettes.Category10();
        var groupWidth = servers.Count + 1;
        for (var s = 0; s < servers.Count; s++)
        {
            var bars = new List<Bar>();
            for (var c = 0; c < scenarios.Count; c++)
            {
                var row = rows.FirstOrDefault(r => r.Server == servers[s] && r.Scenario == scenarios[c]);
                bars.Add(new Bar
                {
                    Position = (c * groupWidth) + s,
                    Value = row is null ? 0 : figure(row) ?? 0,
                    FillColor = palette.GetColor(s),
                });
            }

            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = servers[s];
        }

        // One tick in the middle of each scenario's group.
        var positions = scenarios.Select((_, c) => (c * groupWidth) + ((servers.Count - 1) / 2.0)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, scenarios.ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.Title(title);
        plot.YLabel(unit);
        plot.ShowLegend(Alignment.UpperRight);
    }
}
