using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.PluginKit;

/// <summary>
/// A session plugin compiled in two versions whose state differs in shape, for the kit's state tests. Version 1 keeps
/// <c>{"Nick":"ann"}</c>; version 2 keeps <c>{"Name":"ann","Said":2}</c> and reads version 1's shape, and version 1
/// reads version 2's, code_change-style. Commands: <c>NICK n</c>, <c>JOIN r</c>, <c>SAY r text</c> (broadcast
/// <c>r nick: text</c>), <c>ME</c> (<c>v1 ann</c>, <c>v2 ann said 2</c>), <c>STATS</c> (<c>said N</c>, shared).
/// </summary>
/// <remarks>
/// Variants: <c>lossy</c> version 2 exports the name upper-cased (what the way back must catch); <c>throwing</c>
/// version 2 throws in ImportState for a session named <c>boom</c>.
/// </remarks>
internal static class NickPlugin
{
    public const string Name = "Nick";

    public static string Source(int version, bool lossy = false, bool throwing = false) => $$"""
        using System;
        using System.Buffers;
        using System.Text;
        using System.Text.Json;
        using System.Threading;
        using PluggableNet;

        namespace NickPlugins;

        public sealed class Nick(ISessionRegistry registry) : ISessionPlugin
        {
            private long _said;

            public SessionOptions Sessions { get; } = new() { Pushes = true, V1StreamMode = true };

            public void OnOpened(ISession session) => session.State = New("guest" + session.Id);

            public void Process(ISession session, ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
            {
                var parts = Encoding.UTF8.GetString(request).Split(' ', 3);
                var reply = parts[0] switch
                {
                    "NICK" => Rename(session, parts[1]),
                    "JOIN" => registry.Join(session, parts[1]) ? "joined " + parts[1] : "already",
                    "SAY" => Say(session, parts[1], parts[2]),
                    "ME" => Me(session),
                    "STATS" => "said " + Interlocked.Read(ref _said),
                    _ => "unknown",
                };
                answer.Write(Encoding.UTF8.GetBytes(reply));
            }

            public void ImportSharedState(StateImport previous) => _said = previous.Data.IsEmpty ? 0 : JsonSerializer.Deserialize<long>(previous.Data.Span);

            public void ExportSharedState(IBufferWriter<byte> state) => state.Write(JsonSerializer.SerializeToUtf8Bytes(Interlocked.Read(ref _said)));

            private string Say(ISession session, string room, string text)
            {
                Interlocked.Increment(ref _said);
                Said(session);
                var result = registry.Broadcast(room, Encoding.UTF8.GetBytes(room + " " + NickOf(session) + ": " + text));
                return "queued " + result.Queued;
            }

            {{(version == 1 ? Version1 : Version2(lossy, throwing))}}
        }
        """;

    /// <summary>Builds version <paramref name="version"/> into its own folder under <paramref name="directory"/>; returns the DLL's path.</summary>
    public static string Build(string directory, int version, bool lossy = false, bool throwing = false) =>
        PluginCompiler.Build(Path.Combine(directory, $"v{version}{(lossy ? "-lossy" : string.Empty)}{(throwing ? "-throwing" : string.Empty)}"), Name, Source(version, lossy, throwing), $"{version}.0.0");

    private const string Version1 = """
        private sealed record State1(string Nick);

        private sealed record Shape2(string Name, int Said);

        private static object New(string nick) => new State1(nick);

        private static string NickOf(ISession session) => ((State1)session.State!).Nick;

        private static string Rename(ISession session, string nick)
        {
            session.State = new State1(nick);
            return "you are " + nick;
        }

        private static void Said(ISession session)
        {
        }

        private static string Me(ISession session) => "v1 " + NickOf(session);

        public void ExportState(ISession session, IBufferWriter<byte> state) => state.Write(JsonSerializer.SerializeToUtf8Bytes((State1)session.State!));

        // A rollback from 2.x: its shape is {"Name":…,"Said":…}; what 1.x does not keep is let go.
        public void ImportState(ISession session, StateImport previous) =>
            session.State = previous.FromVersion.StartsWith("2.", StringComparison.Ordinal)
                ? new State1(JsonSerializer.Deserialize<Shape2>(previous.Data.Span)!.Name)
                : JsonSerializer.Deserialize<State1>(previous.Data.Span)!;
        """;

    private static string Version2(bool lossy, bool throwing) => $$"""
        private sealed record State2(string Name, int Said);

        private sealed record Shape1(string Nick);

        private static object New(string nick) => new State2(nick, 0);

        private static string NickOf(ISession session) => ((State2)session.State!).Name;

        private static string Rename(ISession session, string nick)
        {
            session.State = (State2)session.State! with { Name = nick };
            return "you are " + nick;
        }

        private static void Said(ISession session) => session.State = (State2)session.State! with { Said = ((State2)session.State!).Said + 1 };

        private static string Me(ISession session) => "v2 " + NickOf(session) + " said " + ((State2)session.State!).Said;

        public void ExportState(ISession session, IBufferWriter<byte> state)
        {
            var current = (State2)session.State!;
            state.Write(JsonSerializer.SerializeToUtf8Bytes({{(lossy ? "current with { Name = current.Name.ToUpperInvariant() }" : "current")}}));
        }

        // code_change: 1.x wrote {"Nick":…}; it said nothing yet as far as 2.x counts.
        public void ImportState(ISession session, StateImport previous)
        {
            var state = previous.FromVersion.StartsWith("1.", StringComparison.Ordinal)
                ? new State2(JsonSerializer.Deserialize<Shape1>(previous.Data.Span)!.Nick, 0)
                : JsonSerializer.Deserialize<State2>(previous.Data.Span)!;
            if ({{(throwing ? "true" : "false")}} && state.Name == "boom")
            {
                throw new InvalidOperationException("cannot import boom");
            }

            session.State = state;
        }
        """;
}
