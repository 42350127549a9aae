using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.PluginKit;

/// <summary>
/// PluginUnderTest on the bundled Chat plugin's own build, loaded as the host loads it: its constructor gets the fake
/// registry, so sessions opened by the test chat in rooms, pushes land in the sessions, the close hook runs, and the
/// plugin still unloads with sessions that held its state.
/// </summary>
public sealed class SessionPluginUnderTestTests
{
    private static string Chat => Path.Combine(TestPaths.BundledPlugins, "Chat");

    [Fact]
    public async Task TheBundledChatChatsWithFakeSessionsAndUnloads()
    {
        await using var chat = PluginUnderTest.LoadFrom(Chat);
        Assert.True(chat.IsSessionPlugin);
        Assert.True(chat.Sessions.Options is { Pushes: true, V1StreamMode: true });
        var ann = chat.OpenSession();
        var bo = chat.OpenSession(SessionProtocol.V2);

        Assert.Equal("you are ann", await chat.CallAsync(ann, "NICK ann"));
        Assert.Equal("joined lobby (1 here)", await chat.CallAsync(ann, "JOIN lobby"));
        Assert.Equal("joined lobby (2 here)", await chat.CallAsync(bo, "JOIN lobby"));
        Assert.Equal(string.Empty, await chat.CallAsync(ann, "SAY lobby hello"));
        Assert.Equal(["lobby ann: hello"], ann.PushedText);
        Assert.Equal(["lobby ann: hello"], bo.PushedText);
        Assert.Equal($"ann guest{bo.Id}", await chat.CallAsync(ann, "WHO lobby"));
        Assert.Equal("messages 1, sessions 2", await chat.CallAsync(bo, "STATS"));

        chat.CloseSession(bo);
        Assert.True(bo.IsClosed);
        Assert.Equal("ann", await chat.CallAsync(ann, "WHO lobby"));
        Assert.Equal("messages 1, sessions 1", await chat.CallAsync(ann, "STATS"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => chat.CallAsync(bo, "STATS"));

        // The sessions still hold Chat's state objects: unloading must not depend on the test dropping them.
        await chat.AssertUnloadsAsync();
        Assert.Null(ann.State);
        Assert.Equal(PushResult.Refused, ann.Push("after"u8));
    }

    [Fact]
    public async Task ASessionPluginCalledWithoutASessionSaysHowToCallIt()
    {
        await using var chat = PluginUnderTest.LoadFrom(Chat);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => chat.CallAsync("STATS"));
        Assert.Contains("OpenSession()", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => chat.OpenSession(new FakeSession()));
    }

    [Fact]
    public async Task ThePluginsOwnCloseIsWhatItsCloseHookHears()
    {
        using var folder = new TempFolder();
        const string Source = """
            using System;
            using System.Buffers;
            using System.Collections.Generic;
            using System.Text;
            using PluggableNet;

            namespace Closing;

            public sealed class Closing : ISessionPlugin
            {
                private readonly List<string> _closed = new();

                public void OnClosed(ISession session, SessionCloseReason reason) => _closed.Add(session.Id + " " + reason);

                public void Process(ISession session, ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
                {
                    if (request.SequenceEqual("QUIT"u8))
                    {
                        session.Close("asked to");
                    }

                    answer.Write(Encoding.UTF8.GetBytes(string.Join(",", _closed)));
                }
            }
            """;
        await using var plugin = PluginUnderTest.LoadFrom(PluginCompiler.Build(folder.Path, "Closing", Source));
        var quitter = plugin.OpenSession();
        var other = plugin.OpenSession();

        await plugin.CallAsync(quitter, "QUIT");
        Assert.Equal("asked to", quitter.CloseReason);
        plugin.CloseSession(quitter);
        plugin.CloseSession(quitter);
        plugin.CloseSession(other, SessionCloseReason.Timeout);

        var third = plugin.OpenSession();
        Assert.Equal($"{quitter.Id} ClosedByPlugin,{other.Id} Timeout", await plugin.CallAsync(third, "LIST"));
    }

    /// <summary>A temporary folder, deleted at the end of the test.</summary>
    internal sealed class TempFolder : IDisposable
    {
        public string Path { get; } = TestPaths.NewTempDirectory("pnet-kit-sessions");

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }
}
