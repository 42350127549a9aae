using System.Buffers;
using System.Text;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Protocol;
using PluggableNet.Server;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Framing;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.UnitTests.Infrastructure;

namespace PluggableNet.UnitTests.Connections;

/// <summary>The one next step a connection tells its transport, and the state label derived from it.</summary>
public sealed class ConnectionStepTests
{
    private static readonly FrameCodec s_ascii5 = new(FramingKind.AsciiDecimal, 5, 1024 * 1024);

    [Fact]
    public void AFreshConnectionReadsAndIsInTheAcceptState()
    {
        var harness = new MachineHarness(s_ascii5);

        Assert.Equal(ConnectionStep.Read, harness.Machine.Step);
        Assert.Equal(ConnectionState.Accept, harness.Machine.State);
    }

    [Fact]
    public void APartialHeaderThenAPartialBodyAreTheTwoReadStates()
    {
        var harness = new MachineHarness(s_ascii5);

        harness.Receive("000"u8);
        Assert.Equal(ConnectionState.ReadHeader, harness.Machine.State);

        harness.Receive("05HE"u8);
        Assert.Equal(ConnectionState.ReadBody, harness.Machine.State);
        Assert.Equal(ConnectionStep.Read, harness.Machine.Step);

        harness.Receive("LLO"u8);
        Assert.Equal(ConnectionState.ReadHeader, harness.Machine.State);
        Assert.Equal("00005HELLO", Encoding.ASCII.GetString(harness.Sent));
    }

    [Fact]
    public void UnsentAnswersAskForWritingWhileReadingGoesOn()
    {
        var harness = new MachineHarness(s_ascii5);

        harness.ReceiveWithoutSending("00005HELLO"u8, Environment.TickCount64);

        Assert.Equal(ConnectionStep.Read | ConnectionStep.Write, harness.Machine.Step);
        Assert.Equal(ConnectionState.Write, harness.Machine.State);
    }

    [Fact]
    public void AnswersBeyondThePendingLimitPauseReadingUntilSentThenBufferedFramesAreAnswered()
    {
        var limits = new ServerSettings().ToLimits() with { MaxPendingWriteBytes = 1024 };
        var harness = new MachineHarness(s_ascii5, limits: limits);
        var payload = new string('x', 1000);
        var frame = $"01000{payload}";

        harness.ReceiveWithoutSending(Encoding.ASCII.GetBytes(frame + frame + frame), Environment.TickCount64);

        // Two answers (2,010 bytes) are over the limit: the third frame waits, and reading is paused.
        Assert.Equal(ConnectionStep.Write, harness.Machine.Step);
        Assert.Equal(2 * 1005, harness.Machine.PendingOutput.Length);

        // Sending everything lets the core answer the frame that waited, without the transport asking.
        harness.Machine.OnSent(harness.Machine.PendingOutput.Length, harness.Generation, Environment.TickCount64);
        Assert.Equal(1005, harness.Machine.PendingOutput.Length);
        Assert.Equal(ConnectionStep.Read | ConnectionStep.Write, harness.Machine.Step);
    }

    [Fact]
    public void AProtocolErrorFlushesEarlierAnswersThenCloses()
    {
        var harness = new MachineHarness(s_ascii5);

        harness.ReceiveWithoutSending("00002ok+0001x"u8, Environment.TickCount64);

        Assert.Equal(ConnectionStep.Write, harness.Machine.Step);
        Assert.Equal(ConnectionState.Closing, harness.Machine.State);
        harness.Machine.OnSent(harness.Machine.PendingOutput.Length, harness.Generation, Environment.TickCount64);
        Assert.Equal(ConnectionStep.Close, harness.Machine.Step);
    }

    [Fact]
    public void AnAbortClosesWithoutFlushing()
    {
        var harness = new MachineHarness(s_ascii5);
        harness.ReceiveWithoutSending("00005HELLO"u8, Environment.TickCount64);

        harness.Machine.Abort(CloseReason.RemoteReset);

        Assert.Equal(ConnectionStep.Close, harness.Machine.Step);
        Assert.Equal(CloseReason.RemoteReset, harness.Machine.CloseReason);
    }

    [Fact]
    public async Task AnOffloadedRequestIsAwaitedThenAnsweredInOrder()
    {
        var plugin = new GatedPlugin();
        var harness = new MachineHarness(s_ascii5, plugin);

        harness.Receive("00001a00001b"u8);

        Assert.Equal(ConnectionStep.AwaitOffload, harness.Machine.Step);
        Assert.Equal(ConnectionState.Process, harness.Machine.State);
        Assert.Equal(1, harness.OffloadGate.Running);
        Assert.Equal(1, harness.Generation.InFlight);

        plugin.Release();
        await harness.Machine.OffloadTask!;
        harness.CompleteOffload();
        Assert.Equal(ConnectionStep.AwaitOffload, harness.Machine.Step);

        plugin.Release();
        await harness.Machine.OffloadTask!;
        harness.CompleteOffload();

        Assert.Equal("00001A00001B", Encoding.ASCII.GetString(harness.Sent));
        Assert.Equal(ConnectionStep.Read, harness.Machine.Step);
        Assert.Equal(0, harness.OffloadGate.Running);
        Assert.Equal(0, harness.Generation.InFlight);
    }

    [Fact]
    public void ARequestWithoutAFreeSlotWaitsForOneWithoutReading()
    {
        var gate = new OffloadGate(1);
        Assert.True(gate.TryEnter());
        var harness = new MachineHarness(s_ascii5, new GatedPlugin(), offloadGate: gate);

        harness.Receive("00001a"u8);
        Assert.Equal(ConnectionStep.AwaitSlot, harness.Machine.Step);
        Assert.Equal(ConnectionState.Process, harness.Machine.State);

        gate.Exit();
        harness.RetryOffloadSlot();
        Assert.Equal(ConnectionStep.AwaitOffload, harness.Machine.Step);
    }

    [Fact]
    public async Task ReleasingAConnectionWithARunningRequestFreesTheSlotAtOnceAndTheGenerationWhenItEnds()
    {
        var plugin = new GatedPlugin();
        var harness = new MachineHarness(s_ascii5, plugin);
        harness.Receive("00001a"u8);
        var task = harness.Machine.OffloadTask!;
        await Wait.UntilAsync(() => plugin.Cancelled.CanBeCanceled, because: "the plugin started the request");

        harness.Machine.Abort(CloseReason.RemoteReset);
        harness.Machine.Release();

        Assert.Equal(0, harness.OffloadGate.Running);
        Assert.Equal(1, harness.Generation.InFlight);
        Assert.True(plugin.Cancelled.IsCancellationRequested);

        plugin.Release();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        await Wait.UntilAsync(() => harness.Generation.InFlight == 0, because: "the abandoned request's lease is released when it ends");
    }

    [Fact]
    public void HalfCloseAnswersWhatIsCompleteThenCloses()
    {
        var harness = new MachineHarness(s_ascii5);

        harness.Receive("00001a000"u8);
        harness.EndOfInput();

        Assert.Equal(ConnectionStep.Close, harness.Machine.Step);
        Assert.Equal(CloseReason.RemoteClosed, harness.Machine.CloseReason);
        Assert.Equal("00001a", Encoding.ASCII.GetString(harness.Sent));
    }

    [Fact]
    public void ADrainClosesAQuiescentConnectionGracefully()
    {
        var harness = new MachineHarness(s_ascii5);
        harness.Receive("00001a"u8);

        harness.Context.StartDraining();
        var reason = harness.Machine.DueClose(Environment.TickCount64);
        harness.Machine.CloseFor(reason);

        Assert.Equal(CloseReason.Shutdown, reason);
        Assert.True(harness.Machine.CloseAfterFlush);
        Assert.Equal(ConnectionStep.Close, harness.Machine.Step);
    }

    [Fact]
    public void ADrainWaitsForAPartialFrame()
    {
        var harness = new MachineHarness(s_ascii5);
        harness.Receive("00005HE"u8);

        harness.Context.StartDraining();

        Assert.Equal(CloseReason.None, harness.Machine.DueClose(Environment.TickCount64));
    }

    /// <summary>Offloaded; each request waits until the test releases it, then answers upper-cased.</summary>
    private sealed class GatedPlugin : ILogicPlugin
    {
        private readonly SemaphoreSlim _gate = new(0);

        public PluginExecution Execution => PluginExecution.Offloaded;

        public CancellationToken Cancelled { get; private set; }

        public void Release() => _gate.Release();

        public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer) => throw new InvalidOperationException("offloaded only");

        public async ValueTask ProcessAsync(ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, CancellationToken cancellationToken)
        {
            Cancelled = cancellationToken;
            await _gate.WaitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            var span = answer.GetSpan(request.Length);
            System.Text.Ascii.ToUpper(request.Span, span, out var written);
            answer.Advance(written);
        }
    }
}
