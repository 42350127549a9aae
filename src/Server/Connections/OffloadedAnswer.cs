using System.Buffers;

namespace PluggableNet.Server.Connections;

/// <summary>
/// The answer an offloaded plugin call writes on the thread pool: bounded by the largest answer a frame can carry, so a call the host abandoned (or a runaway plugin) holds at most that much whatever it writes. Past the
/// bound the array is returned at once and further writes land in a small reused scratch array, only counted: the
/// connection then closes with <see cref="CloseReason.AnswerTooLarge"/>, as it does for an inline answer. Its arrays are
/// its own, never pooled: a plugin still holding the writer after the call (a bug, but one the host cannot rule out)
/// then writes into memory nobody else uses.
/// </summary>
internal sealed class OffloadedAnswer(int maxBytes) : IBufferWriter<byte>
{
    private const int MinimumSize = 256;

    private byte[] _buffer = [];
    private byte[] _scratch = [];
    private int _written;
    private bool _scratchHandedOut;

    /// <summary>Every byte the plugin wrote, kept or not.</summary>
    public long Length { get; private set; }

    /// <summary>The answer outgrew the largest frame: <see cref="Written"/> is not the whole of it.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>The answer; complete unless <see cref="Overflowed"/>.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _written);

    /// <summary>Bytes of the arrays held.</summary>
    public int Capacity => _buffer.Length + _scratch.Length;

    public void Advance(int count)
    {
        var room = _scratchHandedOut ? _scratch.Length : _buffer.Length - _written;
        if ((uint)count > (uint)room)
        {
            ThrowHelper.ThrowAdvancedTooFar();
        }

        Length += count;
        if (!_scratchHandedOut)
        {
            _written += count;
        }
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => Reserve(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => Reserve(sizeHint).Span;

    /// <summary>Drops the arrays once the answer is taken (or the call abandoned and ended).</summary>
    public void Release()
    {
        _buffer = [];
        _scratch = [];
        _written = 0;
    }

    private Memory<byte> Reserve(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (!Overflowed && (long)_written + needed > maxBytes)
        {
            // No frame can carry it: keep nothing more of it.
            Overflowed = true;
            _buffer = [];
            _written = 0;
        }

        _scratchHandedOut = Overflowed;
        if (Overflowed)
        {
            if (_scratch.Length < needed)
            {
                _scratch = GC.AllocateUninitializedArray<byte>(Math.Max(needed, MinimumSize));
            }

            return _scratch;
        }

        if (_buffer.Length - _written < needed)
        {
            var size = (int)Math.Min(maxBytes, Math.Max((long)_written + needed, Math.Max(2L * _buffer.Length, MinimumSize)));
            var larger = GC.AllocateUninitializedArray<byte>(size);
            Written.CopyTo(larger);
            _buffer = larger;
        }

        return _buffer.AsMemory(_written);
    }
}
