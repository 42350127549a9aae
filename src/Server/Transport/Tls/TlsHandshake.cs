using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Diagnostics;

namespace PluggableNet.Server.Transport.Tls;

/// <summary>
/// The server side of one connection's TLS handshake, before the state machine sees a byte: the certificate picked by SNI
/// from the set published now, a deadline (<c>Tls:HandshakeTimeout</c>), and a failure counted by kind and logged as a
/// rate (a peer controls how often it happens).
/// </summary>
internal sealed class TlsHandshake(TlsCertificates certificates, ConnectionContext context)
{
    private static readonly ServerOptionsSelectionCallback s_select =
        static (_, hello, state, _) => new ValueTask<SslServerAuthenticationOptions>(((TlsCertificates)state!).Current.For(hello.ServerName));

    private readonly long _timeoutMs = (long)certificates.Settings.HandshakeTimeout.TotalMilliseconds;

    public TlsCertificates Certificates { get; } = certificates;

    /// <summary>The handshake's deadline, started now (null when <c>Tls:HandshakeTimeout</c> is 0); a PROXY header before it counts against it too.</summary>
    public CancellationTokenSource? StartDeadline() => _timeoutMs > 0 ? new CancellationTokenSource(TimeSpan.FromMilliseconds(_timeoutMs)) : null;

    /// <summary>
    /// Runs the handshake on <paramref name="socket"/> within <paramref name="timeout"/>; on success the stream to read and
    /// write through, with the client's certificate subject set on <paramref name="machine"/>. On failure null, and
    /// <paramref name="machine"/> is aborted with the reason; <paramref name="aborted"/> tells a close the transport chose
    /// (a stop) from the peer's failure.
    /// </summary>
    public async ValueTask<ServerTlsStream?> RunAsync(Socket socket, FrameConnection machine, CancellationTokenSource? timeout, Func<bool> aborted)
    {
        var stream = new ServerTlsStream(new NetworkStream(socket, ownsSocket: false));
        try
        {
            // One certificate: its options as they are, taken from the set published now. Several: chosen at the
            // client's hello by its SNI name.
            var current = Certificates.Current;
            var handshake = current.Certificates.Count == 1
                ? stream.AuthenticateAsServerAsync(current.For(null), timeout?.Token ?? default)
                : stream.AuthenticateAsServerAsync(s_select, Certificates, timeout?.Token ?? default);
            await handshake.ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is AuthenticationException or IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            if (aborted())
            {
                return null;
            }

            var kind = timeout?.IsCancellationRequested == true ? TlsHandshakeFailure.Timeout
                : stream.ClientCertificateRefused is not null ? TlsHandshakeFailure.ClientCertificate
                : exception is AuthenticationException ? TlsHandshakeFailure.Refused
                : TlsHandshakeFailure.Closed;
            Failed(machine, kind, kind switch
            {
                TlsHandshakeFailure.Timeout => TimeoutReason,
                TlsHandshakeFailure.ClientCertificate => stream.ClientCertificateRefused!,
                _ => Reason(exception),
            });
            return null;
        }

        Certificates.Counters.Completed(stream.SslProtocol);
        machine.TlsClientSubject = stream.RemoteCertificate?.Subject;
        if (context.Logger.IsEnabled(LogLevel.Debug))
        {
            TlsLog.HandshakeDone(context.Logger, machine.Id, stream.SslProtocol.ToString(), stream.NegotiatedCipherSuite.ToString(), stream.TargetHostName, stream.LocalCertificate?.GetCertHashString() ?? "(none)", machine.TlsClientSubject);
        }

        return stream;
    }

    /// <summary>What a timeout is logged with.</summary>
    public string TimeoutReason => $"not done within {Certificates.Settings.KeyPrefix}:HandshakeTimeout {Certificates.Settings.HandshakeTimeout.TotalSeconds:0.###} s";

    /// <summary>Counts, logs (as a rate) and closes a connection whose handshake failed for <paramref name="kind"/>.</summary>
    public void Failed(FrameConnection machine, TlsHandshakeFailure kind, string reason)
    {
        Certificates.Counters.Failed(kind);
        if (kind == TlsHandshakeFailure.Closed)
        {
            // Port checks and clients that give up: not worth a line at Information.
            if (context.Logger.IsEnabled(LogLevel.Debug))
            {
                TlsLog.HandshakeAbandoned(context.Logger, machine.Id, machine.Peer, reason);
            }
        }
        else if (context.Logger.IsEnabled(LogLevel.Information) && context.Throttled.ShouldLog(ThrottledEvent.TlsHandshake, Environment.TickCount64))
        {
            TlsLog.HandshakeFailed(context.Logger, machine.Id, machine.Peer, HostMeter.SnakeCase(kind.ToString()), reason);
        }

        // The close reasons that fit: a timeout is not waited on further, a refusal lets the alert reach the peer first.
        machine.Abort(kind switch
        {
            TlsHandshakeFailure.Timeout => CloseReason.ReadTimeout,
            TlsHandshakeFailure.Closed => CloseReason.RemoteReset,
            _ => CloseReason.ProtocolError,
        });
    }

    /// <summary>The innermost message: "Authentication failed, see inner exception" says nothing on its own.</summary>
    private static string Reason(Exception exception)
    {
        var message = exception.Message;
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            message = inner.Message;
        }

        return message.TrimEnd('.');
    }
}
