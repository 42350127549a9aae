using Microsoft.Extensions.Logging.Abstractions;
using PluggableNet.Plugins.Reverse;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Framing;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;

namespace PluggableNet.Micro;

/// <summary>
/// One connection's state machine answering with Reverse, fed as a transport would without the kernel: the wire's
/// bytes land in the receive buffer in receives as large as it offers, every frame is answered, and whatever there
/// is to send is "sent" at once.
/// </summary>
internal sealed class WireFeed
{
    private readonly PluginSwitch _plugins = new(new PluginGeneration("Reverse", "bench", 1, new ReversePlugin(), null, null, null));
    private readonly FrameConnection _connection;

    public WireFeed(FrameCodec codec, ConnectionLimits limits)
    {
        var context = new ConnectionContext(codec, limits, _plugins, new OffloadGate(1), new HostMetrics(), NullLogger.Instance);
        _connection = new FrameConnection(context, null, Environment.TickCount64);
    }

    /// <summary>Feeds all of <paramref name="wire"/>; returns the bytes sent.</summary>
    public int ReceiveAnswerSend(ReadOnlySpan<byte> wire)
    {
        using var lease = _plugins.Acquire();
        var generation = lease.Generation;
        var sent = 0;
        while (!wire.IsEmpty)
        {
            var buffer = _connection.GetReceiveSpan();
            var count = Math.Min(buffer.Length, wire.Length);
            wire[..count].CopyTo(buffer);
            _connection.OnReceived(count, generation, 1);
            wire = wire[count..];
            while ((_connection.Step & ConnectionStep.Write) != 0)
            {
                var pending = _connection.PendingOutput.Length;
                sent += pending;
                _connection.OnSent(pending, generation, 1);
            }
        }

        return sent;
    }
}
