using PluggableNet.Protocol.V2;
using PluggableNet.Server.Plugins;

namespace PluggableNet.Server.Connections;

/// <summary>
/// Which protocol a connection speaks, decided by its first bytes: the v2 preface, or anything else (v1, unchanged).
/// No v1 stream can start with the preface (docs/protocol.md, "Negotiation"), so waiting for more of it when the
/// first bytes match costs a v1 client nothing.
/// </summary>
internal sealed partial class FrameConnection
{
    private static readonly string s_serverName = "PluggableNet/" + (typeof(FrameConnection).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");

    private WireProtocol _protocol;

    /// <summary>The pass of a connection that is not (known to be) v1: it negotiates first, then runs v2's pass.</summary>
    private void PumpUnlessV1(PluginGeneration generation, long now)
    {
        if (_awaitingProxyHeader)
        {
            if (_input.IsEmpty && !_inputEnded)
            {
                _input.ReleaseIfEmpty();
                OnStateChanged();
                return;
            }

            if (!TakeProxyHeader(now))
            {
                return;
            }
        }

        if (_protocol == WireProtocol.Undecided && !_limits.AllowV2)
        {
            _protocol = WireProtocol.V1;
            Pump(generation, now);
            return;
        }

        if (_protocol == WireProtocol.Undecided)
        {
            switch (Preface.Match(_input.Data))
            {
                case PrefaceMatch.Incomplete when !_inputEnded:
                    // The first bytes of the preface so far: a v1 header never starts like this.
                    if (!_input.IsEmpty)
                    {
                        _deadlines.FrameStarting(now);
                    }

                    _input.ReleaseIfEmpty();
                    OnStateChanged();
                    return;
                case PrefaceMatch.Preface:
                    _input.Consume(Preface.Bytes.Length);
                    _protocol = WireProtocol.V2;
                    _lastReceivedAt = now;
                    V2Output.PrefaceAndSettings(_output, SettingsFor(generation));
                    _context.Metrics.V2ConnectionOpened();
                    break;
                default:
                    _protocol = WireProtocol.V1;
                    Pump(generation, now);
                    return;
            }
        }

        PumpV2(generation, now);
    }

    private Settings SettingsFor(PluginGeneration generation) => new()
    {
        MaxFrameBytes = (uint)_codec.MaxFrameBytes,
        MaxAnswerBytes = V2Output.MaxAnswerBytes,
        MaxConcurrentRequests = (uint)_limits.MaxConcurrentRequests,
        PingIntervalMs = (uint)Math.Min(_limits.PingIntervalMs, uint.MaxValue),
        PingTimeoutMs = (uint)Math.Min(_limits.PingTimeoutMs, uint.MaxValue),
        Server = s_serverName,
        Plugin = $"{generation.Name}/{generation.Version}",
    };
}
