using System.Net;
using System.Text;
using PluggableNet.Server;
using PluggableNet.Server.Connections;

namespace PluggableNet.Testing;

/// <summary>
/// An <see cref="ISession"/> without a connection, for a session plugin's tests: its identity is settable, and what is
/// pushed to it and why it was closed are recorded. It opens in a <see cref="FakeSessionRegistry"/> (its
/// <see cref="Sessions"/>), which delivers pushes and broadcasts by the host's rules.
/// </summary>
/// <example>
/// <code>
/// var registry = new FakeSessionRegistry();
/// var plugin = new ChatPlugin(registry);
/// var ann = new FakeSession(registry);
/// plugin.OnOpened(ann);
/// </code>
/// </example>
public sealed class FakeSession : ISession
{
    // The host's defaults: a v1 frame with the default header, a v2 frame.
    private static readonly int s_v1MaxPush = new ServerSettings().ToCodec().MaxAnswerBytes;
    private static long s_lastId;

    private readonly Lock _lock = new();
    private readonly List<byte[]> _pushes = [];
    private long _id;
    private bool _closed;
    private bool _movedAway;
    private bool _closedHookRun;
    private string? _closeReason;

    /// <summary>Opens a session in <paramref name="registry"/>, or, without one, in a registry of its own.</summary>
    /// <param name="registry">Where it opens; its id must be free there.</param>
    public FakeSession(FakeSessionRegistry? registry = null)
    {
        _id = Interlocked.Increment(ref s_lastId);
        Registry = registry ?? new FakeSessionRegistry();
        Registry.Add(this, freshId: true);
        RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, 32768 + (int)(_id % 28000));
    }

    /// <summary>A detached copy of <paramref name="source"/>'s identity in <paramref name="registry"/>: what a swap imports into.</summary>
    private FakeSession(FakeSession source, FakeSessionRegistry registry)
    {
        _id = source.Id;
        Registry = registry;
        RemoteEndPoint = source.RemoteEndPoint;
        LocalEndPoint = source.LocalEndPoint;
        Protocol = source.Protocol;
        ClientCertificateSubject = source.ClientCertificateSubject;
        OpenedAt = source.OpenedAt;
        Stalled = source.Stalled;
        MaxPushBytes = source.MaxPushBytes;
    }

    /// <summary>Registry's lock held: the id drawn is taken by a session given it explicitly; draw the next one.</summary>
    internal void DrawNextId() => _id = Interlocked.Increment(ref s_lastId);

    /// <summary>Unique in this test process, never 0, until set; setting it keeps it unique among its registry's open sessions.</summary>
    public long Id
    {
        get => Volatile.Read(ref _id);
        set
        {
            ArgumentOutOfRangeException.ThrowIfZero(value);
            Registry.ChangeId(this, _id, value);
            Volatile.Write(ref _id, value);
        }
    }

    /// <summary>The client; 127.0.0.1 and a port derived from the first id, unless set.</summary>
    public EndPoint? RemoteEndPoint { get; set; }

    /// <summary>The host's address; 127.0.0.1:9090 unless set.</summary>
    public EndPoint? LocalEndPoint { get; set; } = new IPEndPoint(IPAddress.Loopback, 9090);

    /// <summary>The protocol the client speaks; v1 (the default client's) unless set.</summary>
    public SessionProtocol Protocol { get; set; } = SessionProtocol.V1;

    /// <summary>The subject of the client's TLS certificate; null (no certificate asked for or sent) unless set.</summary>
    public string? ClientCertificateSubject { get; set; }

    /// <summary>When it opened; its creation unless set.</summary>
    public DateTimeOffset OpenedAt { get; set; } = DateTimeOffset.UtcNow;

    /// <inheritdoc />
    public object? State { get; set; }

    /// <inheritdoc />
    public ISessionRegistry Sessions => Registry;

    /// <summary>The registry it opened in.</summary>
    public FakeSessionRegistry Registry { get; }

    /// <summary>
    /// The client stopped reading: every push finds it too far behind, and is dropped or closes it by the plugin's
    /// <see cref="SessionOptions.SlowConsumer"/> policy.
    /// </summary>
    public bool Stalled { get; set; }

    /// <summary>
    /// The largest push its framing carries; a larger one is refused. Null: the host's default framing for
    /// <see cref="Protocol"/> (v1 with a five-digit header: 99,999 bytes; v2: 16 MiB).
    /// </summary>
    public int? MaxPushBytes { get; set; }

    /// <summary>Whether the session has ended: the plugin closed it, the slow-consumer policy did, or the test did.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _closed;
            }
        }
    }

    /// <summary>The reason the plugin gave <see cref="Close"/> (or the slow-consumer policy's); null if neither closed it.</summary>
    public string? CloseReason
    {
        get
        {
            lock (_lock)
            {
                return _closeReason;
            }
        }
    }

    /// <summary>Every payload pushed to it that the host would have queued, in order (copies).</summary>
    public IReadOnlyList<byte[]> Pushes
    {
        get
        {
            lock (_lock)
            {
                return [.. _pushes];
            }
        }
    }

    /// <summary><see cref="Pushes"/> decoded as UTF-8.</summary>
    public IReadOnlyList<string> PushedText => [.. Pushes.Select(p => Encoding.UTF8.GetString(p))];

    /// <summary>The groups it is a member of now, by name.</summary>
    public IReadOnlyList<string> Groups => Registry.GroupsOf(this);

    /// <inheritdoc />
    /// <remarks>Once a swap moved the session on (<see cref="SessionStateAssert"/>), this handle's pushes are refused, as an old generation's are.</remarks>
    public PushResult Push(ReadOnlySpan<byte> payload)
    {
        lock (_lock)
        {
            if (_movedAway)
            {
                return PushResult.Refused;
            }
        }

        return Registry.PushTo(this, payload);
    }

    /// <inheritdoc />
    /// <remarks>Recorded in <see cref="CloseReason"/>; the session leaves its registry and groups at once, so later pushes are gone.</remarks>
    public void Close(string reason)
    {
        Ended(reason ?? string.Empty, SessionCloseReason.ClosedByPlugin);
        Registry.Remove(this);
    }

    /// <summary>Forgets the pushes recorded so far.</summary>
    public void ClearPushes()
    {
        lock (_lock)
        {
            _pushes.Clear();
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"session {Id} ({Protocol}{(IsClosed ? ", closed" : string.Empty)})";

    /// <summary>What <see cref="MaxPushBytes"/> comes to.</summary>
    internal int PushLimit => MaxPushBytes ?? (Protocol == SessionProtocol.V2 ? V2Output.MaxAnswerBytes : s_v1MaxPush);

    /// <summary>A detached session with this one's identity, for a swap to import into; it opens only if the move commits.</summary>
    internal FakeSession Staged(FakeSessionRegistry registry) => new(this, registry);

    /// <summary>A swap moved this session's state on: this handle leaves its registry and refuses pushes.</summary>
    internal void MovedAway()
    {
        lock (_lock)
        {
            _movedAway = true;
        }

        Registry.Remove(this);
    }

    /// <summary>Why the session ended, first cause only: what <see cref="ISessionPlugin.OnClosed"/> is told.</summary>
    internal SessionCloseReason? ClosedFor { get; private set; }

    internal void Ended(string? reason, SessionCloseReason why)
    {
        lock (_lock)
        {
            _closed = true;
            _closeReason ??= reason;
            ClosedFor ??= why;
        }
    }

    /// <summary>True once: the plugin hears of the close one time only.</summary>
    internal bool TakeClosedHook()
    {
        lock (_lock)
        {
            var first = !_closedHookRun;
            _closedHookRun = true;
            return first;
        }
    }

    internal void Record(byte[] payload)
    {
        lock (_lock)
        {
            _pushes.Add(payload);
        }
    }
}
