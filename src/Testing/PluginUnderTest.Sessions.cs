using System.Buffers;
using System.Text;

namespace PluggableNet.Testing;

/// <summary>A session plugin under test: sessions opened, called and closed as the host does, on a <see cref="FakeSessionRegistry"/>.</summary>
public sealed partial class PluginUnderTest
{
    /// <summary>
    /// The registry the plugin was built with (what its constructor got as <see cref="ISessionRegistry"/>), holding
    /// the sessions <see cref="OpenSession()"/> opens; its <see cref="FakeSessionRegistry.Options"/> are the plugin's.
    /// </summary>
    public FakeSessionRegistry Sessions { get; }

    /// <summary>Whether the plugin keeps sessions (implements <see cref="ISessionPlugin"/>).</summary>
    public bool IsSessionPlugin { get; }

    /// <summary>The session plugin, for the kit's own use; throws for a plugin without sessions.</summary>
    internal ISessionPlugin SessionPlugin =>
        (_generation ?? throw new ObjectDisposedException(nameof(PluginUnderTest), $"Plugin {Name} was disposed.")).SessionPlugin
            ?? throw new InvalidOperationException($"Plugin {Name} keeps no sessions: it implements ILogicPlugin, not ISessionPlugin.");

    /// <summary>Opens a new session in <see cref="Sessions"/>, as a client connecting with v1, and calls <see cref="ISessionPlugin.OnOpened"/>.</summary>
    public FakeSession OpenSession() => OpenSession(new FakeSession(Sessions));

    /// <summary>Opens a new session speaking <paramref name="protocol"/> and calls <see cref="ISessionPlugin.OnOpened"/>.</summary>
    public FakeSession OpenSession(SessionProtocol protocol) => OpenSession(new FakeSession(Sessions) { Protocol = protocol });

    /// <summary>
    /// Calls <see cref="ISessionPlugin.OnOpened"/> for <paramref name="session"/>, created in <see cref="Sessions"/>
    /// (<c>new FakeSession(plugin.Sessions) { Id = 7, Protocol = SessionProtocol.V2 }</c>), and returns it.
    /// </summary>
    public FakeSession OpenSession(FakeSession session)
    {
        var plugin = SessionPlugin;
        Check(session);
        plugin.OnOpened(session);
        return session;
    }

    /// <summary>Sends one request (UTF-8) on <paramref name="session"/> and returns the answer decoded as UTF-8.</summary>
    public async Task<string> CallAsync(FakeSession session, string request, CancellationToken cancellationToken = default) =>
        Encoding.UTF8.GetString(await CallAsync(session, Encoding.UTF8.GetBytes(request), cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Sends one request payload on <paramref name="session"/> and returns the answer payload, calling
    /// <see cref="ISessionPlugin.Process(ISession, ReadOnlySpan{byte}, IBufferWriter{byte})"/> or its
    /// <c>ProcessAsync</c> as the host would for the plugin's <see cref="Execution"/>. What the plugin pushes meanwhile
    /// is in the sessions' <see cref="FakeSession.Pushes"/>.
    /// </summary>
    public async Task<byte[]> CallAsync(FakeSession session, ReadOnlyMemory<byte> request, CancellationToken cancellationToken = default)
    {
        var plugin = SessionPlugin;
        Check(session);
        if (session.IsClosed)
        {
            throw new InvalidOperationException($"{session} is closed: the host calls a plugin only for open sessions.");
        }

        var answer = new ArrayBufferWriter<byte>();
        if (Execution == PluginExecution.Offloaded)
        {
            await plugin.ProcessAsync(session, request, answer, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            plugin.Process(session, request.Span, answer);
        }

        return answer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The connection of <paramref name="session"/> closes: the session leaves <see cref="Sessions"/> and every group,
    /// then <see cref="ISessionPlugin.OnClosed"/> hears of it, once. The reason is the first cause: the plugin's own
    /// <see cref="ISession.Close"/> (<see cref="SessionCloseReason.ClosedByPlugin"/>), the slow-consumer policy
    /// (<see cref="SessionCloseReason.SlowConsumer"/>), or else <paramref name="reason"/>.
    /// </summary>
    public void CloseSession(FakeSession session, SessionCloseReason reason = SessionCloseReason.ClientClosed)
    {
        var plugin = SessionPlugin;
        Check(session);
        Sessions.Remove(session);
        session.Ended(null, reason);
        if (session.TakeClosedHook())
        {
            plugin.OnClosed(session, session.ClosedFor ?? reason);
        }
    }

    private void Check(FakeSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!ReferenceEquals(session.Registry, Sessions))
        {
            throw new ArgumentException($"{session} belongs to another registry: create it with new FakeSession(plugin.Sessions), or with OpenSession().", nameof(session));
        }
    }
}
