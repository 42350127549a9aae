using System.Globalization;
using System.Text.RegularExpressions;

namespace PluggableNet.Bench.Driver.SessionSwap;

/// <summary>
/// The host's log line for a swap that succeeded: "Swapped plugin Chat 1.0.0 (generation 1) → Chat 1.0.0 (generation 2),
/// trigger signal, in 235.7 ms (load 135.7 ms, drain 100.0 ms)". Total = load (the new generation read and
/// instantiated) + drain (the state move with sessions paused, then waiting out the old generation's calls and
/// disposing it).
/// </summary>
internal sealed partial record SwapLogLine(int Generation, string Trigger, double TotalMs, double LoadMs, double DrainMs)
{
    public static SwapLogLine? TryParse(string line)
    {
        var match = Pattern().Match(line);
        return match.Success
            ? new SwapLogLine(
                int.Parse(match.Groups["generation"].Value, CultureInfo.InvariantCulture),
                match.Groups["trigger"].Value,
                Ms(match.Groups["total"].Value),
                Ms(match.Groups["load"].Value),
                Ms(match.Groups["drain"].Value))
            : null;
    }

    /// <summary>The line announcing <paramref name="generation"/> among <paramref name="lines"/>, or null.</summary>
    public static SwapLogLine? Find(IEnumerable<string> lines, int generation) =>
        lines.Select(TryParse).FirstOrDefault(l => l?.Generation == generation);

    // The host formats with its own culture: a decimal comma reads as a point.
    private static double Ms(string text) => double.Parse(text.Replace(',', '.'), NumberStyles.Float, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Swapped plugin .* \(generation (?<generation>\d+)\), trigger (?<trigger>\S+), in (?<total>[\d.,]+) ms \(load (?<load>[\d.,]+) ms, drain (?<drain>[\d.,]+) ms\)", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
