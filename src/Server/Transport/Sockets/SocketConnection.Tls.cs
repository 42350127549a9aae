using System.Net.Sockets;
using System.Runtime.CompilerServices;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Transport.Tls;

namespace PluggableNet.Server.Transport.Sockets;

/// <summary>
/// A TLS endpoint's connection: the PROXY header when one is expected (in clear, before the handshake), then the
/// handshake; afterwards the loop reads and writes through <see cref="_tls"/>, and a graceful close says close_notify
/// before its FIN.
/// </summary>
internal sealed partial class SocketConnection
{
    /// <summary>The TLS stream once the handshake is done; null on a plain endpoint and until then.</summary>
    private ServerTlsStream? _tls;

    /// <summary>
    /// Before the first byte reaches the state machine through TLS. On failure the machine is aborted with the reason
    /// (the loop then does not run) and nothing else: the close is the loop's, as for any other connection.
    /// </summary>
    private async Task StartTlsAsync(TlsHandshake handshake, Socket socket)
    {
        using var deadline = handshake.StartDeadline();
        if (Machine.AwaitsProxyHeader)
        {
            int count;
            try
            {
                count = await ProxyPrelude.ReceiveAsync(socket, Machine.GetReceiveMemory(), deadline?.Token ?? default).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline?.IsCancellationRequested == true && AbortReason == CloseReason.None)
            {
                handshake.Failed(Machine, TlsHandshakeFailure.Timeout, "no PROXY header; " + handshake.TimeoutReason);
                return;
            }

            using (var lease = _plugins.Acquire())
            {
                Received(count, lease.Generation);
            }

            if (Machine.CloseReason != CloseReason.None)
            {
                // Refused (untrusted, malformed, cut short): the machine logged and counted it; no handshake follows.
                return;
            }
        }

        _tls = await handshake.RunAsync(socket, Machine, deadline, () => AbortReason != CloseReason.None).ConfigureAwait(false);
        if (_tls is not null)
        {
            InlineCompletions.TryEnable(socket);
        }
        else if (Machine.CloseReason == CloseReason.None)
        {
            // Cut by the transport (a stop) during the handshake.
            Machine.Abort(AbortReason == CloseReason.None ? CloseReason.RemoteReset : AbortReason);
        }
    }

    /// <summary>A graceful close on TLS tells the peer the stream ended on purpose (close_notify), within the lingering budget.</summary>
    private async Task SendCloseNotifyAsync()
    {
        if (_tls is not { IsAuthenticated: true } stream)
        {
            return;
        }

        try
        {
            await stream.ShutdownAsync().WaitAsync(TimeSpan.FromMilliseconds(LingeringClose.TimeoutMs)).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or TimeoutException or InvalidOperationException)
        {
            // Reset, already shut down by a stop, or a peer that reads nothing: the FIN after it says enough.
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<int> WrittenAsync(ValueTask write, int length)
    {
        await write.ConfigureAwait(false);
        return length;
    }
}
