using System.Buffers;
using PluggableNet.Protocol;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Framing;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.UnitTests.Infrastructure;

namespace PluggableNet.UnitTests.Connections;

/// <summary>
/// How an abandoned offloaded call is counted: out of the running calls and the calls a swap waits for, into the
/// abandoned ones (with their bytes) until it really ends, and into a slot again beyond <c>MaxAbandonedOffloads</c>.
/// </summary>
public sealed class AbandonedOffloadAccountingTests
{
    private static readonly FrameCodec s_ascii5 = new(FramingKind.AsciiDecimal, 5, 99_999);

    [Fact]
    public void AbandonedCallsBeyondTheLimitKeepTheirSlot()
    {
        var gate = new OffloadGate(capacity: 2, maxAbandoned: 1);
        Assert.True(gate.TryEnter());
        Assert.True(gate.TryEnter());
        Assert.False(gate.TryEnter());

        gate.Abandon(10);
        Assert.Equal((1, 1, 10L), (gate.Running, gate.Abandoned, gate.AbandonedBytes));
        Assert.True(gate.TryEnter());

        // A second abandoned call is one beyond the limit: it frees the slot of a running call but takes one itself.
        gate.Abandon(20);
        Assert.Equal((1, 2, 30L), (gate.Running, gate.Abandoned, gate.AbandonedBytes));
        Assert.False(gate.TryEnter());

        gate.AbandonedEnded(20);
        Assert.Equal((1, 1, 10L), (gate.Running, gate.Abandoned, gate.AbandonedBytes));
        Assert.True(gate.TryEnter());
    }

    [Fact]
    public async Task ASwapDoesNotWaitForAnAbandonedCallWhichKeepsItsGenerationPinnedUntilItEnds()
    {
        var plugin = new HeldPlugin();
        var harness = new MachineHarness(s_ascii5, plugin);
        harness.Receive("00003abc"u8);
        var task = harness.Machine.OffloadTask!;
        await Wait.UntilAsync(() => plugin.Started, because: "the plugin started the request");
        Assert.Equal(1, harness.Generation.Wanted);

        harness.Machine.Abort(CloseReason.ProcessTimeout);
        harness.Machine.Release();

        Assert.Equal((1, 1, 0), (harness.Generation.InFlight, harness.Generation.Abandoned, harness.Generation.Wanted));
        Assert.Equal(1, harness.OffloadGate.Abandoned);
        Assert.InRange(harness.OffloadGate.AbandonedBytes, 3, 1024);
        Assert.True(await PluginSwitch.WaitUntilIdleAsync(harness.Generation, TimeSpan.FromSeconds(5), CancellationToken.None));

        plugin.Release();
        await task;
        await Wait.UntilAsync(() => harness.Generation.InFlight == 0, because: "the abandoned call's pin is released when it ends");
        Assert.Equal((0, 0, 0, 0L), (harness.Generation.Abandoned, harness.Generation.Wanted, harness.OffloadGate.Abandoned, harness.OffloadGate.AbandonedBytes));
    }

    /// <summary>Offloaded; ignores cancellation until released, as a plugin the host must give up on.</summary>
    private sealed class HeldPlugin : ILogicPlugin
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _started;

        public PluginExecution Execution => PluginExecution.Offloaded;

        public bool Started => _started;

        public void Release() => _release.TrySetResult();

        public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer) => throw new InvalidOperationException("offloaded only");

        public async ValueTask ProcessAsync(ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, CancellationToken cancellationToken)
        {
            _started = true;
            await _release.Task;
        }
    }
}
