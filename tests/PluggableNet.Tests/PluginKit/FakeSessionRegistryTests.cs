using System.Text;

namespace PluggableNet.Tests.PluginKit;

/// <summary>
/// The test kit's fake sessions deliver pushes and broadcasts with the outcomes the host gives (the host's own rules
/// are tested in tests/PluggableNet.Tests/Sessions): queued into the recorded pushes, gone once closed, dropped or
/// closed for a stalled reader by the policy, refused once retired or for a v1 client without stream mode, and an
/// exception for a plugin that never declared pushes.
/// </summary>
public sealed class FakeSessionRegistryTests
{
    private static readonly SessionOptions s_pushing = new() { Pushes = true, V1StreamMode = true };

    [Fact]
    public void ABroadcastReachesEveryMemberButTheOneLeftOutAndCountsThem()
    {
        var registry = new FakeSessionRegistry(s_pushing);
        var ann = new FakeSession(registry);
        var bo = new FakeSession(registry) { Protocol = SessionProtocol.V2 };
        var cy = new FakeSession(registry);
        Assert.True(registry.Join(ann, "lobby"));
        Assert.True(registry.Join(bo, "lobby"));
        Assert.False(registry.Join(bo, "lobby"));
        Assert.True(registry.Join(cy, "lobby"));
        Assert.True(registry.Join(cy, "attic"));

        Assert.Equal(new BroadcastResult(2, 0, 0, 0), registry.Broadcast("lobby", "hi"u8, exceptId: cy.Id));
        Assert.Equal(default, registry.Broadcast("nobody-joined", "hi"u8));

        Assert.Equal(["hi"], ann.PushedText);
        Assert.Equal(["hi"], bo.PushedText);
        Assert.Empty(cy.Pushes);
        Assert.Equal(3, registry.CountOf("lobby"));
        Assert.Equal([ann.Id, bo.Id, cy.Id], registry.MembersOf("lobby").Select(s => s.Id).Order());
        Assert.Equal(["attic", "lobby"], cy.Groups);
        Assert.Same(bo, registry.Find(bo.Id));
    }

    [Fact]
    public void AClosedSessionLeavesItsGroupsAndItsPushesAreGone()
    {
        var registry = new FakeSessionRegistry(s_pushing);
        var ann = new FakeSession(registry);
        var bo = new FakeSession(registry);
        registry.Join(ann, "lobby");
        registry.Join(bo, "lobby");

        bo.Close("bye");

        Assert.True(bo.IsClosed);
        Assert.Equal("bye", bo.CloseReason);
        Assert.Null(registry.Find(bo.Id));
        Assert.Equal(1, registry.Count);
        Assert.Equal(1, registry.CountOf("lobby"));
        Assert.Equal(PushResult.Gone, bo.Push("late"u8));
        Assert.Equal(PushResult.Gone, registry.Push(bo.Id, "late"u8));
        Assert.Equal(PushResult.Gone, registry.Push(long.MaxValue, "never"u8));
        Assert.False(registry.Join(bo, "attic"));
        Assert.Equal(PushResult.Queued, registry.Push(ann.Id, "still here"u8));
        Assert.Equal(["still here"], ann.PushedText);
    }

    [Fact]
    public void AStalledReaderLosesTheMessageOrIsClosedByThePolicy()
    {
        var dropping = new FakeSessionRegistry(s_pushing);
        var slow = new FakeSession(dropping) { Stalled = true };
        var fast = new FakeSession(dropping);
        dropping.Join(slow, "r");
        dropping.Join(fast, "r");
        Assert.Equal(PushResult.Dropped, slow.Push("x"u8));
        Assert.Equal(new BroadcastResult(1, 1, 0, 0), dropping.Broadcast("r", "y"u8));
        Assert.False(slow.IsClosed);
        Assert.Empty(slow.Pushes);

        var closing = new FakeSessionRegistry(new SessionOptions { Pushes = true, V1StreamMode = true, SlowConsumer = SlowConsumerPolicy.CloseConnection });
        var stalled = new FakeSession(closing) { Stalled = true };
        var reader = new FakeSession(closing);
        closing.Join(stalled, "r");
        closing.Join(reader, "r");
        Assert.Equal(new BroadcastResult(1, 1, 0, 0), closing.Broadcast("r", "y"u8));
        Assert.True(stalled.IsClosed);
        Assert.Equal("too far behind with pushes", stalled.CloseReason);
        Assert.Equal(1, closing.CountOf("r"));
        Assert.Equal(PushResult.Gone, stalled.Push("z"u8));
    }

    [Fact]
    public void ARetiredRegistryRefusesAndAv1ClientWithoutStreamModeRefuses()
    {
        var registry = new FakeSessionRegistry(s_pushing);
        var ann = new FakeSession(registry);
        registry.Join(ann, "r");
        registry.Retire();
        Assert.Equal(PushResult.Refused, ann.Push("x"u8));
        Assert.Equal(PushResult.Refused, registry.Push(ann.Id, "x"u8));
        Assert.Equal(new BroadcastResult(0, 0, 0, 1), registry.Broadcast("r", "x"u8));
        Assert.Empty(ann.Pushes);

        var requestAnswer = new FakeSessionRegistry(new SessionOptions { Pushes = true, V1StreamMode = false });
        var v1 = new FakeSession(requestAnswer);
        var v2 = new FakeSession(requestAnswer) { Protocol = SessionProtocol.V2 };
        requestAnswer.Join(v1, "r");
        requestAnswer.Join(v2, "r");
        Assert.Equal(PushResult.Refused, v1.Push("x"u8));
        Assert.Equal(new BroadcastResult(1, 0, 0, 1), requestAnswer.Broadcast("r", "y"u8));
        Assert.Equal(["y"], v2.PushedText);
    }

    [Fact]
    public void APushLargerThanTheFramingCarriesIsRefused()
    {
        var registry = new FakeSessionRegistry(s_pushing);
        var v1 = new FakeSession(registry);
        var v2 = new FakeSession(registry) { Protocol = SessionProtocol.V2 };
        var narrow = new FakeSession(registry) { MaxPushBytes = 3 };

        // The host's defaults: 99,999 bytes under a five-digit v1 header, 16 MiB in a v2 frame.
        Assert.Equal(PushResult.Queued, v1.Push(new byte[99_999]));
        Assert.Equal(PushResult.Refused, v1.Push(new byte[100_000]));
        Assert.Equal(PushResult.Queued, v2.Push(new byte[100_000]));
        Assert.Equal(PushResult.Refused, narrow.Push("four"u8));
        Assert.Equal(PushResult.Queued, narrow.Push("one"u8));
    }

    [Fact]
    public void PushingWithoutDeclaringItThrowsAsOnTheHost()
    {
        var registry = new FakeSessionRegistry(SessionOptions.Default);
        var ann = new FakeSession(registry);
        registry.Join(ann, "r");

        Assert.Contains("SessionOptions.Pushes", Assert.Throws<InvalidOperationException>(() => ann.Push("x"u8)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => registry.Broadcast("r", "x"u8));

        // Options not known: pushes go through.
        var unknown = new FakeSession();
        Assert.Equal(PushResult.Queued, unknown.Push("x"u8));
        Assert.Equal(1, unknown.Registry.Count);
    }

    [Fact]
    public void IdentityIsSettableAndStaysUniqueAmongOpenSessions()
    {
        var registry = new FakeSessionRegistry();
        var ann = new FakeSession(registry) { Id = 7, Protocol = SessionProtocol.V2, RemoteEndPoint = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.0.0.1"), 5000), ClientCertificateSubject = "CN=ann" };
        var bo = new FakeSession(registry);
        Assert.NotEqual(0, bo.Id);
        Assert.Same(ann, registry.Find(7));
        Assert.Equal("10.0.0.1:5000", ann.RemoteEndPoint!.ToString());
        Assert.Equal("CN=ann", ((ISession)ann).ClientCertificateSubject);
        Assert.Throws<InvalidOperationException>(() => bo.Id = 7);
        Assert.Throws<ArgumentOutOfRangeException>(() => bo.Id = 0);
        Assert.Throws<ArgumentException>(() => registry.Join(new FakeSession(), "r"));
        Assert.Equal(Encoding.UTF8.GetBytes("x"), Assert.Single(Push(ann)));
    }

    [Fact]
    public void AFreshIdSkipsTheIdsSessionsWereGivenExplicitly()
    {
        // The next 64 ids the process-wide counter will hand out are taken by sessions given them explicitly.
        var registry = new FakeSessionRegistry();
        var holders = Enumerable.Range(0, 64).Select(_ => new FakeSession(registry)).ToList();
        var next = holders[^1].Id + 1;
        for (var i = 0; i < holders.Count; i++)
        {
            holders[i].Id = next + i;
        }

        var fresh = new FakeSession(registry);
        Assert.DoesNotContain(holders, h => h.Id == fresh.Id);
        Assert.Same(fresh, registry.Find(fresh.Id));
    }

    private static IReadOnlyList<byte[]> Push(FakeSession session)
    {
        session.Push("x"u8);
        return session.Pushes;
    }
}
