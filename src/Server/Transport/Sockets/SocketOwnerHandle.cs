using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PluggableNet.Server.Transport.Sockets;

/// <summary>
/// A detached connection's descriptor while the sockets transport's <see cref="Socket"/> still owns it: released by
/// disposing that socket. The socket is not closed at the detach on purpose: while its descriptor stays open, a
/// duplicate made for the next owner never gets the same number, and the runtime's own epoll keeps no stale
/// registration of that number for the same connection that a socket created on it in this process would collide with.
/// </summary>
internal sealed class SocketOwnerHandle : SafeHandle
{
    private readonly Socket _socket;

    public SocketOwnerHandle(Socket socket)
        : base(-1, ownsHandle: true)
    {
        _socket = socket;
        SetHandle(socket.SafeHandle.DangerousGetHandle());
    }

    public override bool IsInvalid => handle == -1;

    protected override bool ReleaseHandle()
    {
        _socket.Dispose();
        return true;
    }
}
