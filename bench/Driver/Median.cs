namespace PluggableNet.Bench.Driver;

/// <summary>Median of the values present; the middle of an odd count, the mean of the two middles of an even one.</summary>
internal static class Median
{
    public static double? Of(IEnumerable<double?> values)
    {
        var sorted = values.Where(v => v.HasValue && double.IsFinite(v.Value)).Select(v => v!.Value).Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
