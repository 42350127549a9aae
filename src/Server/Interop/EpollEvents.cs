using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PluggableNet.Server.Interop;

/// <summary>
/// A native array of <c>struct epoll_event</c>. The struct is packed to 12 bytes on x86-64 and naturally
/// aligned to 16 on other 64-bit targets (arm64), so it is read by offset rather than through a C# struct.
/// </summary>
internal sealed unsafe class EpollEvents : IDisposable
{
    public static readonly int Size = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int s_dataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private byte* _buffer;

    public EpollEvents(int capacity)
    {
        Capacity = capacity;
        _buffer = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * Size));
    }

    public int Capacity { get; }

    public void* Pointer => _buffer;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Events(int index) => Unsafe.ReadUnaligned<uint>(_buffer + (index * Size));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Data(int index) => Unsafe.ReadUnaligned<ulong>(_buffer + (index * Size) + s_dataOffset);

    /// <summary>Calls <c>epoll_ctl</c> with a single event built on the stack.</summary>
    public static int Control(int epfd, int op, int fd, uint events, ulong data)
    {
        var ev = stackalloc byte[16];
        Unsafe.WriteUnaligned(ev, events);
        Unsafe.WriteUnaligned(ev + s_dataOffset, data);
        return Libc.epoll_ctl(epfd, op, fd, ev);
    }

    public void Dispose()
    {
        if (_buffer != null)
        {
            NativeMemory.Free(_buffer);
            _buffer = null;
        }
    }
}
