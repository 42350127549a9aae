namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// The <see cref="IsolationCounters"/> of each plugin an endpoint ran in <c>Isolation Process</c>, by plugin name: the
/// factory hands every generation of a plugin the same set, so its counts carry across swaps and worker restarts and
/// the meter's counters never go back. Bounded like the meter's plugin versions: past 64 names the oldest goes.
/// </summary>
internal sealed class IsolationCounterSets
{
    private const int MaxPlugins = 64;

    private readonly Lock _lock = new();
    private readonly List<KeyValuePair<string, IsolationCounters>> _sets = [];

    /// <summary>The set of plugin <paramref name="name"/>, created at its first isolated load.</summary>
    public IsolationCounters For(string name)
    {
        lock (_lock)
        {
            foreach (var (known, counters) in _sets)
            {
                if (string.Equals(known, name, StringComparison.Ordinal))
                {
                    return counters;
                }
            }

            var created = new IsolationCounters();
            if (_sets.Count >= MaxPlugins)
            {
                _sets.RemoveAt(0);
            }

            _sets.Add(new(name, created));
            return created;
        }
    }

    /// <summary>Every plugin's set, oldest first: what the meter reports at a collection.</summary>
    public KeyValuePair<string, IsolationCounters>[] Snapshot()
    {
        lock (_lock)
        {
            return [.. _sets];
        }
    }
}
