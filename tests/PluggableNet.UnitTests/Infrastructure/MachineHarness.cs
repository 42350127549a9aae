using System.Buffers;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Framing;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;

namespace PluggableNet.UnitTests.Infrastructure;

/// <summary>
/// Drives one <see cref="FrameConnection"/> state machine directly, without sockets, so tests can deliver bytes
/// in any split they like and see exactly what would be sent.
/// </summary>
internal sealed class MachineHarness
{
    private readonly PluginSwitch _plugins;
    private readonly List<byte> _sent = [];

    public MachineHarness(FrameCodec codec, ILogicPlugin? plugin = null, ConnectionLimits? limits = null, OffloadGate? offloadGate = null)
    {
        Codec = codec;
        _plugins = new PluginSwitch(new PluginGeneration("Test", "1.0.0", 1, plugin ?? new EchoPlugin(), null, null, null));
        Metrics = new HostMetrics();
        OffloadGate = offloadGate ?? new OffloadGate(4);
        Context = new ConnectionContext(codec, limits ?? new ServerSettings().ToLimits(), _plugins, OffloadGate, Metrics, NullLogger.Instance);
        Machine = new FrameConnection(Context, null, Environment.TickCount64);
    }

    public ConnectionContext Context { get; }

    public OffloadGate OffloadGate { get; }

    /// <summary>The plugin generation every request goes to.</summary>
    public PluginGeneration Generation => _plugins.Current;

    public FrameCodec Codec { get; }

    public FrameConnection Machine { get; }

    public HostMetrics Metrics { get; }

    public byte[] Sent => [.. _sent];

    /// <summary>Delivers <paramref name="bytes"/> as one receive, then "sends" every pending answer.</summary>
    public void Receive(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var buffer = Machine.GetReceiveSpan();
            var count = Math.Min(buffer.Length, bytes.Length);
            bytes[..count].CopyTo(buffer);
            Machine.OnReceived(count, _plugins.Current, Environment.TickCount64);
            bytes = bytes[count..];
            Flush();
        }
    }

    /// <summary>Delivers <paramref name="bytes"/> as one receive and leaves the answers unsent, as for a peer that stopped reading.</summary>
    public void ReceiveWithoutSending(ReadOnlySpan<byte> bytes, long now)
    {
        var buffer = Machine.GetReceiveSpan();
        bytes.CopyTo(buffer);
        Machine.OnReceived(bytes.Length, _plugins.Current, now);
    }

    /// <summary>Hands the finished offloaded request's answer to the machine, then "sends" every pending answer.</summary>
    public void CompleteOffload()
    {
        Machine.CompleteOffload(_plugins.Current, Environment.TickCount64);
        Flush();
    }

    /// <summary>Lets a request that waits for an offload slot try again, then "sends" every pending answer.</summary>
    public void RetryOffloadSlot()
    {
        Machine.RetryOffloadSlot(_plugins.Current, Environment.TickCount64);
        Flush();
    }

    public void EndOfInput()
    {
        Machine.OnEndOfInput(_plugins.Current, Environment.TickCount64);
        Flush();
    }

    private void Flush()
    {
        while ((Machine.Step & ConnectionStep.Write) != 0)
        {
            var pending = Machine.PendingOutput;
            _sent.AddRange(pending.ToArray());
            Machine.OnSent(pending.Length, _plugins.Current, Environment.TickCount64);
        }
    }

    /// <summary>Answers with the request unchanged, so a decoded frame can be compared byte for byte.</summary>
    private sealed class EchoPlugin : ILogicPlugin
    {
        public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer) => answer.Write(request);
    }
}
