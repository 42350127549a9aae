using System.Buffers;
using System.Text;

namespace PluggableNet.Tests.PluginKit;

/// <summary>
/// SessionStateAssert moves a session's state between two versions as a swap does. On real compiled builds whose state
/// differs in shape, each loaded in its own collectible context: up and back keeps the nickname, the groups and the
/// shared count, and both versions still unload; a downgrade that loses data fails naming the bytes; a throwing import
/// fails naming the hook and leaves the session where it was. In process, on plain plugin objects, the same.
/// </summary>
public sealed class SessionStateAssertTests : IDisposable
{
    private readonly SessionPluginUnderTestTests.TempFolder _folder = new();

    [Fact]
    public async Task StateWrittenByVersion1IsReadByVersion2AndBackWithGroupsAndSharedState()
    {
        await using var v1 = PluginUnderTest.LoadFrom(NickPlugin.Build(_folder.Path, 1));
        await using var v2 = PluginUnderTest.LoadFrom(NickPlugin.Build(_folder.Path, 2));
        Assert.Equal(("1.0.0", "2.0.0"), (v1.Version, v2.Version));
        var ann = v1.OpenSession();
        var bo = v1.OpenSession();
        await v1.CallAsync(ann, "NICK ann");
        await v1.CallAsync(ann, "JOIN lobby");
        await v1.CallAsync(bo, "JOIN lobby");
        Assert.Equal("queued 2", await v1.CallAsync(ann, "SAY lobby one"));

        var annThere = SessionStateAssert.RoundTrips(v1, v2, ann);
        var boThere = SessionStateAssert.RoundTrips(v1, v2, bo);

        // Version 2's shape, built from version 1's: the nickname, nothing said yet as version 2 counts.
        Assert.Equal("v2 ann said 0", await v2.CallAsync(annThere, "ME"));
        Assert.Equal(ann.Id, annThere.Id);
        Assert.Equal(["lobby"], annThere.Groups);
        Assert.Same(annThere, v2.Sessions.Find(ann.Id));
        Assert.Equal("said 1", await v2.CallAsync(annThere, "STATS"));
        Assert.Equal("queued 2", await v2.CallAsync(boThere, "SAY lobby two"));
        Assert.Equal([$"lobby guest{bo.Id}: two"], annThere.PushedText);

        // The handles left behind are an old generation's: out of the registry, their pushes refused.
        Assert.Equal(PushResult.Refused, ann.Push("late"u8));
        Assert.Equal(0, v1.Sessions.Count);

        // And down again, one way, as a rollback: version 1 reads version 2's shape.
        var annBack = SessionStateAssert.Moves(v2, v1, annThere);
        Assert.Equal("v1 ann", await v1.CallAsync(annBack, "ME"));
        Assert.Equal("said 2", await v1.CallAsync(annBack, "STATS"));

        await v1.AssertUnloadsAsync();
        await v2.AssertUnloadsAsync();
    }

    [Fact]
    public async Task AVersionThatLosesDataOnTheWayBackFailsShowingBeforeAndAfter()
    {
        await using var v1 = PluginUnderTest.LoadFrom(NickPlugin.Build(_folder.Path, 1));
        await using var v2 = PluginUnderTest.LoadFrom(NickPlugin.Build(_folder.Path, 2, lossy: true));
        var ann = v1.OpenSession();
        await v1.CallAsync(ann, "NICK ann");

        var failure = Assert.Throws<SessionStateException>(() => SessionStateAssert.RoundTrips(v1, v2, ann));

        Assert.Equal(
            $$"""The state of session {{ann.Id}} (V1) did not survive 1.0.0 → 2.0.0 → 1.0.0: Nick 1.0.0 exported {"Nick":"ann"} before and {"Nick":"ANN"} after.""",
            failure.Message);
        Assert.Same(ann, v1.Sessions.Find(ann.Id));
        Assert.Null(v2.Sessions.Find(ann.Id));
    }

    [Fact]
    public async Task AThrowingImportFailsNamingTheHookAndTheSessionStaysWithTheOldVersion()
    {
        await using var v1 = PluginUnderTest.LoadFrom(NickPlugin.Build(_folder.Path, 1));
        await using var v2 = PluginUnderTest.LoadFrom(NickPlugin.Build(_folder.Path, 2, throwing: true));
        var boom = v1.OpenSession();
        await v1.CallAsync(boom, "NICK boom");

        var failure = Assert.Throws<SessionStateException>(() => SessionStateAssert.Moves(v1, v2, boom));

        Assert.Equal($"Nick 2.0.0 threw in ImportState for session {boom.Id}: InvalidOperationException: cannot import boom", failure.Message);
        Assert.IsType<InvalidOperationException>(failure.InnerException);
        Assert.Equal("v1 boom", await v1.CallAsync(boom, "ME"));
        Assert.Equal(0, v2.Sessions.Count);
    }

    [Fact]
    public void InProcessPluginsMoveThroughOneRegistryAndTheImportSeesTheVersions()
    {
        var registry = new FakeSessionRegistry();
        var older = new Counter();
        var newer = new Counter();
        var session = new FakeSession(registry) { State = 200, Protocol = SessionProtocol.V2, ClientCertificateSubject = "CN=ann" };
        registry.Join(session, "r");

        var moved = SessionStateAssert.RoundTrips(older, newer, session, "1.2.0", "1.3.0-beta+abc");

        Assert.Equal(200, moved.State);
        Assert.Equal((session.Id, SessionProtocol.V2, "CN=ann", session.OpenedAt), (moved.Id, moved.Protocol, moved.ClientCertificateSubject, moved.OpenedAt));
        Assert.Equal(["1.2.0 → 1.3.0-beta+abc up", "1.3.0-beta+abc → 1.2.0 down"], [newer.Imports[0], older.Imports[0]]);
        Assert.Same(moved, registry.Find(session.Id));
        Assert.Equal(["r"], moved.Groups);
        Assert.Equal(1, registry.Count);

        newer.Broken = true;
        var failure = Assert.Throws<SessionStateException>(() => SessionStateAssert.RoundTrips(newer, older, moved, "1.3.0", "1.2.0"));
        Assert.Equal($"The state of {moved} did not survive 1.3.0 → 1.2.0 → 1.3.0: Counter 1.3.0 exported 0xC9 before and 0xCA after.", failure.Message);
    }

    public void Dispose() => _folder.Dispose();

    /// <summary>A session plugin object in the test's own context: its state is one number, exported as one byte.</summary>
    private sealed class Counter : ISessionPlugin
    {
        public List<string> Imports { get; } = [];

        /// <summary>Exports one more than it holds: a bug the way back must catch.</summary>
        public bool Broken { get; set; }

        public void Process(ISession session, ReadOnlySpan<byte> request, IBufferWriter<byte> answer) => answer.Write(Encoding.UTF8.GetBytes($"{session.State}"));

        public void ExportState(ISession session, IBufferWriter<byte> state) => state.Write([(byte)((int)session.State! + (Broken ? 1 : 0))]);

        public void ImportState(ISession session, StateImport previous)
        {
            Imports.Add($"{previous.FromVersion} → {previous.ToVersion} {(previous.IsDowngrade ? "down" : "up")}");
            session.State = (int)previous.Data.Span[0];
        }
    }
}
