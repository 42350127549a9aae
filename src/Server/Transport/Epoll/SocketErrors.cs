using PluggableNet.Server.Connections;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>What a failed system call on a socket means for the reactor: the one place errno values are judged.</summary>
internal static class SocketErrors
{
    /// <summary>Interrupted by a signal: the same call again.</summary>
    public static bool IsRetry(int errno) => errno == Libc.EINTR;

    /// <summary>Nothing more to read, or no room to send: wait for epoll to report the socket ready.</summary>
    public static bool IsWouldBlock(int errno) => errno == Libc.EAGAIN;

    /// <summary>A connection that failed while waiting in the backlog: skip it and keep accepting.</summary>
    public static bool IsTransientAccept(int errno) => errno is Libc.EINTR or Libc.ECONNABORTED;

    /// <summary>Out of descriptors or kernel memory: accepting must pause, or a level-triggered listener spins.</summary>
    public static bool IsOutOfResources(int errno) => errno is Libc.EMFILE or Libc.ENFILE or Libc.ENOBUFS or Libc.ENOMEM;

    /// <summary>
    /// Why a connection whose receive or send failed is closed: a descriptor or buffer that is not what we think it is
    /// (EBADF, EFAULT, EINVAL, ENOTSOCK) is our own failure; anything else means the peer reset it or the path to it
    /// broke (ECONNRESET, EPIPE, ETIMEDOUT, EHOSTUNREACH…). Either way nobody is left to answer.
    /// </summary>
    public static CloseReason CloseReasonFor(int errno) =>
        errno is Libc.EBADF or Libc.EFAULT or Libc.EINVAL or Libc.ENOTSOCK ? CloseReason.InternalError : CloseReason.RemoteReset;
}
