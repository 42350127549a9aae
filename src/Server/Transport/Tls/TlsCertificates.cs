using System.Globalization;
using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Transport.Tls;

/// <summary>
/// The certificates an endpoint serves, swapped live with the guarantees of a plugin swap: a new set is read and checked
/// whole before one reference is exchanged, so each handshake sees either the old set or the new one, never a mix;
/// established connections keep the certificate they were opened with; a set that fails a check is refused, logged
/// naming the key and file, and the old one goes on serving.
/// </summary>
internal sealed class TlsCertificates
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _reloadLock = new();
    private TlsCertificateSet _current;
    private long _swaps;
    private long _failures;
    private string? _lastError;
    private DateTimeOffset? _lastSwapAt;

    private TlsCertificates(TlsSettings settings, TlsCertificateSet current, ILogger logger, TimeProvider time)
    {
        Settings = settings;
        _current = current;
        _logger = logger;
        _time = time;
    }

    public TlsSettings Settings { get; }

    /// <summary>The set new handshakes use.</summary>
    public TlsCertificateSet Current => Volatile.Read(ref _current);

    /// <summary>Handshakes completed and failed on this endpoint.</summary>
    public TlsCounters Counters { get; } = new();

    /// <summary>Certificate changes published since start.</summary>
    public long Swaps => Volatile.Read(ref _swaps);

    /// <summary>Certificate changes refused since start (the old certificates kept serving).</summary>
    public long SwapFailures => Volatile.Read(ref _failures);

    /// <summary>Why the latest change was refused; cleared by the next swap.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>When certificates were last swapped; null before the first swap.</summary>
    public DateTimeOffset? LastSwapAt
    {
        get
        {
            lock (_reloadLock)
            {
                return _lastSwapAt;
            }
        }
    }

    /// <summary>Reads every certificate at start; a problem stops the start (the caller reports it as a configuration error).</summary>
    /// <exception cref="CertificateLoadException">A certificate or the CA bundle cannot be served.</exception>
    public static TlsCertificates Load(TlsSettings settings, ILogger logger, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var warnings = new List<string>();
        var set = TlsCertificateSet.Load(settings, time.GetUtcNow(), warnings);
        foreach (var warning in warnings)
        {
            TlsLog.CertificateWarning(logger, warning);
        }

        foreach (var certificate in set.Certificates)
        {
            TlsLog.Serving(logger, certificate.Source.Name, certificate.Subject, certificate.Thumbprint, certificate.NotAfter, HostNames(certificate));
        }

        return new TlsCertificates(settings, set, logger, time);
    }

    /// <summary>
    /// Reads the files again and publishes them if they hold other certificates; <paramref name="trigger"/> says why
    /// (<c>file</c>, <c>signal</c>). Returns whether new certificates now serve. Reloads run one at a time.
    /// </summary>
    public bool Reload(string trigger)
    {
        lock (_reloadLock)
        {
            var current = Current;
            var warnings = new List<string>();
            TlsCertificateSet next;
            try
            {
                next = TlsCertificateSet.Load(Settings, _time.GetUtcNow(), warnings);
            }
            catch (CertificateLoadException exception)
            {
                Interlocked.Increment(ref _failures);
                Volatile.Write(ref _lastError, exception.Message);
                TlsLog.Rejected(_logger, trigger, exception.Message, Describe(current));
                return false;
            }

            if (next.SameAs(current))
            {
                TlsLog.Unchanged(_logger, trigger);
                return false;
            }

            foreach (var warning in warnings)
            {
                TlsLog.CertificateWarning(_logger, warning);
            }

            // The one publication: handshakes from here on pick the new set; those under way keep the one they picked.
            Volatile.Write(ref _current, next);
            Interlocked.Increment(ref _swaps);
            Volatile.Write(ref _lastError, null);
            _lastSwapAt = _time.GetUtcNow();
            TlsLog.Swapped(_logger, trigger, Changes(current, next));
            return true;
        }
    }

    private static string Describe(TlsCertificateSet set) => string.Join("; ", set.Certificates.Select(c =>
        string.Create(CultureInfo.InvariantCulture, $"{c.Source.Name} {c.Subject} ({c.Thumbprint}, until {c.NotAfter:u})")));

    private string Changes(TlsCertificateSet before, TlsCertificateSet after)
    {
        var changes = after.Certificates
            .Select(c => (After: c, Before: before.Certificates.FirstOrDefault(b => b.Source.Name == c.Source.Name)))
            .Where(p => p.Before?.Thumbprint != p.After.Thumbprint)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.After.Source.Name} {p.Before?.Thumbprint ?? "(none)"} → {p.After.Thumbprint} ({p.After.Subject}, until {p.After.NotAfter:u})"))
            .ToList();
        if (!before.SameAs(after) && changes.Count == 0)
        {
            changes.Add($"the client CAs of {Settings.KeyPrefix}:ClientCaPath");
        }

        return string.Join("; ", changes);
    }

    private static string HostNames(LoadedCertificate certificate) =>
        certificate.Source.HostNames.Count == 0 ? " (when no SNI name matches)" : " for " + string.Join(", ", certificate.Source.HostNames);
}
