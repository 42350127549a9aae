using System.Runtime.InteropServices;

namespace PluggableNet.Server.Interop;

/// <summary>
/// Descriptors passed between processes over a Unix socket (<c>sendmsg</c>/<c>recvmsg</c> with <c>SCM_RIGHTS</c>), and
/// the peer's credentials (<c>SO_PEERCRED</c>): the host upgrade's hand-over channel. The layouts are the 64-bit
/// Linux ones (x64 and arm64 alike).
/// </summary>
internal static unsafe partial class Libc
{
    public const int SCM_RIGHTS = 1;
    public const int SO_PEERCRED = 17;
    public const int MSG_CMSG_CLOEXEC = 0x40000000;
    public const int MSG_CTRUNC = 0x8;

    /// <summary>The kernel's limit on descriptors in one message (SCM_MAX_FD).</summary>
    public const int MaxDescriptorsPerMessage = 253;

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial nint sendmsg(int sockfd, MessageHeader* msg, int flags);

    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial nint recvmsg(int sockfd, MessageHeader* msg, int flags);

    /// <summary>The bytes a control message carrying <paramref name="dataLength"/> bytes takes (CMSG_SPACE).</summary>
    public static int ControlSpace(int dataLength) => ControlHeader.Size + Align(dataLength);

    /// <summary>The length field of such a control message (CMSG_LEN).</summary>
    public static int ControlLength(int dataLength) => ControlHeader.Size + dataLength;

    private static int Align(int length) => (length + sizeof(nint) - 1) & ~(sizeof(nint) - 1);

    /// <summary><c>struct iovec</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary><c>struct msghdr</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary><c>struct cmsghdr</c>, followed by its data.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ControlHeader
    {
        public static readonly int Size = sizeof(ControlHeader);

        public nuint Length;
        public int Level;
        public int Type;
    }

    /// <summary><c>struct ucred</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PeerCredentials
    {
        public int Pid;
        public uint Uid;
        public uint Gid;
    }
}
