namespace PluggableNet.Server.Connections;

/// <summary>
/// How many frames that cost the host work without being requests (PING, CANCEL, unknown types) a v2 peer may send
/// per second. Past it the connection is closed as a flood (GOAWAY PROTOCOL_ERROR): without a bound a peer could
/// keep a reactor busy answering PINGs, as the HTTP/2 "ping flood" and "reset flood" attacks did (CVE-2019-9512,
/// CVE-2023-44487).
/// </summary>
internal struct ControlFrameBudget
{
    /// <summary>Frames per second; far above any client's need (one PING per interval, one CANCEL per request).</summary>
    public const int PerSecond = 1_000;

    private long _windowStart;
    private int _spent;

    /// <summary>Counts one frame at <paramref name="now"/>; false once this second's budget is spent.</summary>
    public bool TrySpend(long now)
    {
        if (now - _windowStart >= 1000)
        {
            _windowStart = now;
            _spent = 0;
        }

        return ++_spent <= PerSecond;
    }
}
