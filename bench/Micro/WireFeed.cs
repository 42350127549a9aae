using PluggableNet.Host.Connections;
using PluggableNet.Host.Plugins;

namespace PluggableNet.Micro;

/// <summary>
/// What a transport does, without the kernel: the wire's bytes land in the connection's receive buffer in receives
/// as large as it offers, every frame is answered, and whatever it has to send is "sent" at once.
/// </summary>
internal static class WireFeed
{
    /// <summary>Feeds all of <paramref name="wire"/>; returns the bytes sent.</summary>
    public static int ReceiveAnswerSend(PluginSwitch plugins, FrameConnection connection, ReadOnlySpan<byte> wire)
    {
        using var lease = plugins.Acquire();
        var generation = lease.Generation;
        var sent = 0;
        while (!wire.IsEmpty)
        {
            var buffer = connection.GetReceiveSpan();
            var count = Math.Min(buffer.Length, wire.Length);
            wire[..count].CopyTo(buffer);
            connection.OnReceived(count, generation, 1);
            wire = wire[count..];
            while ((connection.Step & ConnectionStep.Write) != 0)
            {
                var pending = connection.PendingOutput.Length;
                sent += pending;
                connection.OnSent(pending, generation, 1);
            }
        }

        return sent;
    }
}
