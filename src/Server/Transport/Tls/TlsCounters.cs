using System.Security.Authentication;

namespace PluggableNet.Server.Transport.Tls;

/// <summary>Handshakes done and failed since start, by TLS version and by failure; read by status and the meter.</summary>
internal sealed class TlsCounters
{
    private readonly long[] _failures = new long[Enum.GetValues<TlsHandshakeFailure>().Length];
    private long _tls12;
    private long _tls13;

    public long Tls12Handshakes => Volatile.Read(ref _tls12);

    public long Tls13Handshakes => Volatile.Read(ref _tls13);

    public long Handshakes => Tls12Handshakes + Tls13Handshakes;

    public long FailuresOf(TlsHandshakeFailure kind) => Volatile.Read(ref _failures[(int)kind]);

    public void Completed(SslProtocols protocol)
    {
        if (protocol == SslProtocols.Tls13)
        {
            Interlocked.Increment(ref _tls13);
        }
        else
        {
            Interlocked.Increment(ref _tls12);
        }
    }

    public void Failed(TlsHandshakeFailure kind) => Interlocked.Increment(ref _failures[(int)kind]);
}
