using System.Net.Sockets;
using PluggableNet.Server.Connections;

namespace PluggableNet.Server.Transport.Sockets;

/// <summary>Connections leaving for another server and arriving from one (issue 23): a TLS endpoint does neither.</summary>
internal sealed partial class SocketsTransport
{
    public void RequestDetach()
    {
        foreach (var connection in _connections.Values)
        {
            connection.RequestDetach();
        }
    }

    public void Adopt(int fd, FrameConnection machine)
    {
        var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        var connection = new SocketConnection(socket, machine, lifecycle, tls: null);
        machine.Waker = connection;
        _connections[machine.Id] = connection;

        // The first turn answers whole frames that came with the connection (FrameConnection.Adopt.cs).
        connection.Wake();
        ThreadPool.UnsafeQueueUserWorkItem(
            static state => _ = state.Transport.RunConnectionAsync(state.Connection),
            (Transport: this, Connection: connection),
            preferLocal: false);
    }
}
