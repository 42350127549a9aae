using Microsoft.Extensions.Logging;
using PluggableNet.Server.Diagnostics;
using PluggableNet.Server.Framing;
using PluggableNet.Server.Plugins;
using PluggableNet.Server.Plugins.Isolation;

namespace PluggableNet.Server.Connections;

/// <summary>What a bad request or a failing plugin does to a connection: counted, logged (throttled), then answered or closed.</summary>
internal sealed partial class FrameConnection
{
    private void RejectOversizedAnswer(PluginGeneration generation, long length)
    {
        if (_context.Throttled.ShouldLog(ThrottledEvent.AnswerTooLarge, Environment.TickCount64))
        {
            ConnectionLog.AnswerTooLarge(_context.Logger, generation.Name, generation.Version, length, Id, Peer, _codec.MaxAnswerBytes);
        }

        _context.Metrics.PluginFault(PluginFaultKind.AnswerTooLarge);
        RequestGracefulClose(CloseReason.AnswerTooLarge);
    }

    private void OnPluginFault(PluginGeneration generation, Exception exception)
    {
        _context.Metrics.PluginFault(PluginFaultKind.Exception);
        // A dead worker (Isolation Process) is no answer of the plugin's: a v1 client cannot be told, so it is closed.
        var emptyFrame = _limits.PluginFaultAction == PluginFaultAction.EmptyFrame && exception is not PluginUnavailableException;
        if (_context.Throttled.ShouldLog(ThrottledEvent.PluginFault, Environment.TickCount64))
        {
            ConnectionLog.PluginFault(_context.Logger, exception, generation.Name, generation.Version, Id, Peer, emptyFrame ? "answered with an empty frame" : "connection closed");
        }

        if (emptyFrame)
        {
            var headerAt = _output.Reserve(_codec.HeaderLength);
            _codec.WriteHeader(_output.Slice(headerAt, _codec.HeaderLength), 0);
            return;
        }

        RequestGracefulClose(CloseReason.PluginFault);
    }

    private void OnProtocolError(HeaderStatus status, ReadOnlySpan<byte> buffered)
    {
        var (metric, kind) = EventKinds.Of(status);
        _context.Metrics.ProtocolError(metric);
        if (_context.Logger.IsEnabled(LogLevel.Information) && _context.Throttled.ShouldLog(kind, Environment.TickCount64))
        {
            var reason = status switch
            {
                HeaderStatus.NotDigits => $"not all digits: \"{Printable(buffered[.._codec.HeaderLength])}\"",
                HeaderStatus.ZeroLength => "length 0",
                _ => $"length above Framing:MaxFrameBytes ({_codec.MaxFrameBytes})",
            };
            ConnectionLog.ProtocolError(_context.Logger, Id, Peer, reason);
        }

        // Answers to the valid requests before the bad header still go out; nothing after it is read.
        _input.Clear();
        RequestGracefulClose(CloseReason.ProtocolError);
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = bytes[i] is >= 0x20 and < 0x7f ? (char)bytes[i] : '.';
        }

        return new string(chars);
    }
}
