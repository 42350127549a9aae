using System.Net;

namespace PluggableNet.Server.Sessions;

/// <summary>
/// A session as one plugin generation sees it. Pushes go through the generation's <see cref="SessionScope"/>, refused
/// once it is retired. While a swap imports state into the next generation, its view writes <see cref="State"/> to a
/// staging slot, so a migration that fails leaves the session's state as it was.
/// </summary>
internal sealed class SessionView(Session session, SessionScope scope) : ISession
{
    private bool _staging;
    private object? _staged;

    public Session Session { get; } = session;

    public SessionScope Scope { get; } = scope;

    public long Id => Session.Id;

    public EndPoint? RemoteEndPoint => Session.RemoteEndPoint;

    public EndPoint? LocalEndPoint => Session.LocalEndPoint;

    public SessionProtocol Protocol => Session.Protocol;

    public DateTimeOffset OpenedAt => Session.OpenedAt;

    public string? ClientCertificateSubject => Session.ClientCertificateSubject;

    public ISessionRegistry Sessions => Scope.Registry;

    public object? State
    {
        get => _staging ? _staged : Session.State;
        set
        {
            if (_staging)
            {
                _staged = value;
            }
            else
            {
                Session.State = value;
            }
        }
    }

    public PushResult Push(ReadOnlySpan<byte> payload) => Scope.Registry.PushTo(Session, payload);

    public void Close(string reason) => Session.RequestClose(SessionCloseReason.ClosedByPlugin, reason ?? string.Empty);

    /// <summary>A swap imports into this view: <see cref="State"/> writes go to the staging slot.</summary>
    public void BeginStaging()
    {
        _staging = true;
        _staged = null;
    }

    /// <summary>The swap committed: the staged state becomes the session's, and this view its current one.</summary>
    public void Commit()
    {
        Session.State = _staged;
        Session.View = this;
        _staging = false;
        _staged = null;
    }
}
