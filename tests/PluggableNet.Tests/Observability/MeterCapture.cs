using System.Diagnostics.Metrics;

namespace PluggableNet.Tests.Observability;

/// <summary>
/// A real <see cref="MeterListener"/> on one server's meter (other tests' servers in this process have their own):
/// keeps what is recorded (histograms, counters) and reads the observable instruments on demand, as an exporter's
/// collection does.
/// </summary>
internal sealed class MeterCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly List<Measured> _recorded = [];
    private List<Measured>? _observing;

    public MeterCapture(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>What the non-observable instrument <paramref name="name"/> recorded so far.</summary>
    public IReadOnlyList<Measured> Recorded(string name)
    {
        lock (_lock)
        {
            return [.. _recorded.Where(m => m.Instrument == name)];
        }
    }

    /// <summary>Collects every observable instrument now and returns <paramref name="name"/>'s measurements.</summary>
    public IReadOnlyList<Measured> Observe(string name)
    {
        lock (_lock)
        {
            _observing = [];
            _listener.RecordObservableInstruments();
            var observed = _observing;
            _observing = null;
            return [.. observed.Where(m => m.Instrument == name)];
        }
    }

    /// <summary>The one observed value of <paramref name="name"/> whose tags include every pair in <paramref name="tags"/>.</summary>
    public double ObserveOne(string name, params (string Key, object Value)[] tags) =>
        Assert.Single(Observe(name), m => tags.All(t => Equals(m.Tag(t.Key), t.Value))).Value;

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var measured = new Measured(instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value));
        lock (_lock)
        {
            (_observing ?? _recorded).Add(measured);
        }
    }
}

/// <summary>One measurement: instrument, value, tags.</summary>
internal sealed record Measured(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
{
    public object? Tag(string key) => Tags.TryGetValue(key, out var value) ? value : null;
}
