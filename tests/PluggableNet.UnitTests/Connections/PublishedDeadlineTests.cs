using System.Buffers;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableNet.Protocol;
using PluggableNet.Server;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Framing;
using PluggableNet.Server.Plugins;

namespace PluggableNet.UnitTests.Connections;

/// <summary>
/// A connection judged from another thread (the sockets transport's timer) publishes its next deadline after every
/// event; judged against it, the verdict is the one the connection computes on its own thread, millisecond by
/// millisecond, in every wait: rest of a header, a peer not reading its answers, the next request.
/// </summary>
public sealed class PublishedDeadlineTests
{
    private const long Start = 100_000;
    private static readonly ConnectionLimits s_limits = new ServerSettings().ToLimits() with
    {
        ReadTimeoutMs = 100,
        WriteTimeoutMs = 200,
        IdleTimeoutMs = 300,
    };

    private readonly PluginSwitch _plugins = new(new PluginGeneration("Test", "1.0.0", 1, new Echo(), null, null, null));

    [Fact]
    public void ThePublishedVerdictIsTheComputedOneInEveryWait()
    {
        var computed = NewConnection(scannedFromAnotherThread: false);
        var published = NewConnection(scannedFromAnotherThread: true);
        var generation = _plugins.Current;

        // The rest of a header.
        Both(c => Receive(c, "000", generation, Start));
        AssertSameVerdicts(computed, published, Start, CloseReason.ReadTimeout);

        // A whole frame answered, the answer not read by the peer.
        Both(c => Receive(c, "05hello", generation, Start + 50));
        AssertSameVerdicts(computed, published, Start + 50, CloseReason.WriteTimeout);

        // Everything sent: the next request.
        Both(c => c.OnSent(c.PendingOutput.Length, generation, Start + 60));
        AssertSameVerdicts(computed, published, Start + 60, CloseReason.IdleTimeout);

        void Both(Action<FrameConnection> step)
        {
            step(computed);
            step(published);
        }
    }

    private static void AssertSameVerdicts(FrameConnection computed, FrameConnection published, long from, CloseReason expected)
    {
        var seen = CloseReason.None;
        for (var now = from; now <= from + 1000; now++)
        {
            var verdict = computed.DueClose(now);
            Assert.Equal(verdict, published.DueClose(now));
            Assert.Equal(computed.Elapsed(now), published.Elapsed(now));
            seen = verdict == CloseReason.None ? seen : verdict;
        }

        Assert.Equal(expected, seen);
    }

    private static void Receive(FrameConnection connection, string text, PluginGeneration generation, long now)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        bytes.CopyTo(connection.GetReceiveSpan());
        connection.OnReceived(bytes.Length, generation, now);
    }

    private FrameConnection NewConnection(bool scannedFromAnotherThread)
    {
        var context = new ConnectionContext(new FrameCodec(FramingKind.AsciiDecimal, 5, 1024), s_limits, _plugins, new OffloadGate(1), new HostMetrics(), NullLogger.Instance);
        return new FrameConnection(context, null, Start, scannedFromAnotherThread);
    }

    private sealed class Echo : ILogicPlugin
    {
        public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer) => answer.Write(request);
    }
}
