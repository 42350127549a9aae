using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace PluggableNet.Baselines.Kestrel;

/// <summary>
/// The Reverse logic on Kestrel's connection middleware: each read parses every complete frame in place
/// over the buffered sequence, writes all answers straight into the output pipe and flushes once per read.
/// </summary>
internal sealed class ReverseConnectionHandler : ConnectionHandler
{
    private readonly WireFraming _framing;
    private readonly int _maxPayload;
    private readonly ServerCounters _counters;
    private readonly int _burn;
    private ulong _sink;

    public ReverseConnectionHandler(BaselineOptions options, ServerCounters counters)
    {
        _framing = options.Framing;
        _maxPayload = (int)Math.Min(options.MaxPayloadBytes, _framing.MaxLength);
        _counters = counters;
        _burn = options.BurnIterations;
    }

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        _counters.ConnectionOpened();
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                var answered = AnswerAll(ref buffer, output, out var invalid);

                // Consumed up to the last whole frame; everything buffered was examined, so the next read waits for more bytes.
                input.AdvanceTo(buffer.Start, buffer.End);

                if (answered > 0)
                {
                    _counters.AddRequests(answered);
                    var flush = await output.FlushAsync().ConfigureAwait(false);
                    if (flush.IsCompleted)
                    {
                        break;
                    }
                }

                if (invalid || result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (ConnectionResetException)
        {
            // The client went away mid-read: normal at the end of a benchmark.
        }
        catch (IOException)
        {
        }
        finally
        {
            _counters.ConnectionClosed();
            await input.CompleteAsync().ConfigureAwait(false);
            await output.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Answers every complete frame at the start of <paramref name="buffer"/> and slices them off.</summary>
    private int AnswerAll(ref ReadOnlySequence<byte> buffer, PipeWriter output, out bool invalid)
    {
        invalid = false;
        var headerLength = _framing.HeaderLength;
        var answered = 0;
        while (true)
        {
            var status = _framing.TryReadLength(buffer, out var length);
            if (status == HeaderStatus.Incomplete)
            {
                return answered;
            }

            if (status == HeaderStatus.Invalid || length > _maxPayload)
            {
                invalid = true;
                return answered;
            }

            var frameLength = headerLength + length;
            if (buffer.Length < frameLength)
            {
                return answered;
            }

            var payloadLength = (int)length;
            var destination = output.GetSpan(headerLength + payloadLength);
            _framing.WriteLength(destination, payloadLength);
            var answer = destination.Slice(headerLength, payloadLength);
            buffer.Slice(headerLength, payloadLength).CopyTo(answer);
            if (_burn > 0)
            {
                _sink ^= Burn(payloadLength > 0 ? answer[0] : 1UL, _burn);
            }

            answer.Reverse();
            output.Advance(headerLength + payloadLength);

            buffer = buffer.Slice(frameLength);
            answered++;
        }
    }

    /// <summary>The CPU-heavy plugin's chain (bench/Plugins/Burn): dependent 64-bit multiply-adds.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static ulong Burn(ulong seed, int iterations)
    {
        var x = seed;
        for (var i = 0; i < iterations; i++)
        {
            x = (x * 6364136223846793005UL) + 1442695040888963407UL;
        }

        return x;
    }
}
