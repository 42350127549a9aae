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
using PluggableNet.UnitTests.Infrastructure;

namespace PluggableNet.UnitTests.Connections;

/// <summary>The state machine fed byte by byte and in every split, without sockets in the way.</summary>
public sealed class FrameConnectionTests
{
    private static readonly FrameCodec s_ascii5 = new(FramingKind.AsciiDecimal, 5, 1024 * 1024);

    [Fact]
    public void ByteAtATimeDeliveryAnswersEachFrameOnce()
    {
        var harness = new MachineHarness(s_ascii5);
        var wire = "00005HELLO00003abc"u8.ToArray();

        foreach (var b in wire)
        {
            harness.Receive([b]);
        }

        Assert.Equal("00005HELLO00003abc", Encoding.ASCII.GetString(harness.Sent));
        Assert.Equal(CloseReason.None, harness.Machine.CloseReason);
    }

    [Fact]
    public void ManyFramesInOneBufferAreAnsweredInOnePassInOrder()
    {
        var harness = new MachineHarness(s_ascii5);
        var wire = Frames.AsciiMany(Enumerable.Range(0, 500).Select(i => $"request-{i}"));

        harness.Receive(wire);

        Assert.Equal(Encoding.ASCII.GetString(wire), Encoding.ASCII.GetString(harness.Sent));
        Assert.Equal(500, harness.Machine.Requests);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(10)]
    public void AFrameSplitAtEveryPositionDecodesTheSame(int digits)
    {
        var codec = new FrameCodec(FramingKind.AsciiDecimal, digits, 1024 * 1024);
        var payload = digits == 1 ? "split me " : "split me anywhere";
        var frame = Frames.Ascii(payload, digits);

        AssertEverySplitIsAnsweredWhole(codec, frame);
    }

    [Fact]
    public void BinaryFramingSplitAtEveryPositionDecodesTheSame()
    {
        var codec = new FrameCodec(FramingKind.UInt32BigEndian, 5, 1024 * 1024);
        var payload = new byte[300];
        Random.Shared.NextBytes(payload);
        var frame = Frames.Binary(payload);

        AssertEverySplitIsAnsweredWhole(codec, frame);
    }

    [Fact]
    public void AFrameLargerThanTheReceiveBufferIsReassembled()
    {
        var harness = new MachineHarness(s_ascii5);
        var payload = new byte[99_999];
        Random.Shared.NextBytes(payload);
        var frame = Frames.Ascii(payload);

        for (var offset = 0; offset < frame.Length; offset += 7_001)
        {
            harness.Receive(frame.AsSpan(offset, Math.Min(7_001, frame.Length - offset)));
        }

        Assert.Equal(frame, harness.Sent);
    }

    [Theory]
    [InlineData("ABCDEhello")]
    [InlineData("00000")]
    [InlineData("-0001x")]
    [InlineData("99999")]
    public void AnInvalidHeaderClosesAfterAnsweringTheValidRequestsBeforeIt(string bad)
    {
        var harness = new MachineHarness(new FrameCodec(FramingKind.AsciiDecimal, 5, 1000));

        harness.Receive(Encoding.ASCII.GetBytes("00002ok" + bad + "00002no"));

        Assert.Equal("00002ok", Encoding.ASCII.GetString(harness.Sent));
        Assert.Equal(CloseReason.ProtocolError, harness.Machine.CloseReason);
        Assert.Equal(ConnectionStep.Close, harness.Machine.Step);
        Assert.Equal(1, harness.Metrics.ProtocolErrors);
    }

    [Fact]
    public void EndOfInputAnswersCompleteFramesThenCloses()
    {
        var harness = new MachineHarness(s_ascii5);

        harness.Receive("00001a00001b0000"u8);
        harness.EndOfInput();

        Assert.Equal("00001a00001b", Encoding.ASCII.GetString(harness.Sent));
        Assert.Equal(CloseReason.RemoteClosed, harness.Machine.CloseReason);
        Assert.Equal(ConnectionStep.Close, harness.Machine.Step);
    }

    [Fact]
    public void UnsentAnswersWithoutProgressExpireAfterTheWriteTimeout()
    {
        var harness = new MachineHarness(s_ascii5, limits: new ServerSettings().ToLimits() with { WriteTimeoutMs = 500, IdleTimeoutMs = 100 });
        var start = Environment.TickCount64;

        harness.ReceiveWithoutSending("00005HELLO"u8, start);

        Assert.Equal(CloseReason.None, harness.Machine.DueClose(start + 499));
        Assert.Equal(CloseReason.WriteTimeout, harness.Machine.DueClose(start + 500));
    }

    [Fact]
    public void AnIdleConnectionHoldsNoBuffers()
    {
        var harness = new MachineHarness(s_ascii5);

        harness.Receive("00005HELLO"u8);

        Assert.Equal(ConnectionStep.Read, harness.Machine.Step);
        Assert.True(harness.Machine.IsIdle);
        Assert.Equal(ConnectionState.ReadHeader, harness.Machine.State);
    }

    private static void AssertEverySplitIsAnsweredWhole(FrameCodec codec, byte[] frame)
    {
        for (var split = 0; split <= frame.Length; split++)
        {
            var harness = new MachineHarness(codec);
            harness.Receive(frame.AsSpan(0, split));
            harness.Receive(frame.AsSpan(split));

            Assert.Equal(frame, harness.Sent);
        }
    }
}
