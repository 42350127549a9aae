using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Sessions;

/// <summary>
/// The session plugin the session tests serve, compiled from source in versions whose state differs in shape. Text
/// commands, one per request; every request gets one answer, and pushes start with <c>msg </c> or <c>tick</c>:
/// <c>NICK n</c>, <c>JOIN r</c>, <c>LEAVE r</c>, <c>SAY r text</c> (broadcast <c>msg r nick: text</c>), <c>WHO r</c>,
/// <c>STATE</c> (<c>nick=…;version=…;count=…;from=…</c>), <c>ID</c>, <c>WHOAMI</c> (remote;certificate subject;local), <c>PUSHTO id text</c>, <c>PUSHME n</c> (n pushes
/// from the thread pool), <c>TIMER</c> (a timer pushing <c>tick</c> every 5 ms, never stopped), <c>CLOSE why</c>,
/// <c>SLEEP ms</c> (offloaded: answers after ms). Version 2 keeps the nick in a record with a field more, and says
/// from which version its state came; the variant <c>Throwing</c> throws in ImportState for a session named <c>boom</c>.
/// </summary>
internal static class RoomPlugin
{
    public const string Name = "Room";

    public static string Source(int version, bool throwing = false, bool offloaded = false, bool closeSlow = false) => $$"""
        using System;
        using System.Buffers;
        using System.Collections.Concurrent;
        using System.Linq;
        using System.Text;
        using System.Text.Json;
        using System.Threading;
        using System.Threading.Tasks;
        using PluggableNet;

        namespace RoomPlugins;

        public sealed class Room : ISessionPlugin, IDisposable
        {
            private const int Version = {{version}};
            private static readonly ConcurrentBag<Timer> s_timers = new();
            private readonly ISessionRegistry _registry;
            private long _count;

            public Room(ISessionRegistry registry) => _registry = registry;

            public SessionOptions Sessions { get; } = new() { Pushes = true, V1StreamMode = true, SlowConsumer = {{(closeSlow ? "SlowConsumerPolicy.CloseConnection" : "SlowConsumerPolicy.DropMessage")}} };

            public PluginExecution Execution => {{(offloaded ? "PluginExecution.Offloaded" : "PluginExecution.Inline")}};

            public void OnOpened(ISession session) => session.State = NewState("anon", "new");

            public void Process(ISession session, ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
            {
                var text = Encoding.UTF8.GetString(request);
                var space = text.IndexOf(' ');
                var verb = space < 0 ? text : text[..space];
                var rest = space < 0 ? "" : text[(space + 1)..];
                string reply;
                switch (verb)
                {
                    case "NICK":
                        session.State = NewState(rest, From(session));
                        reply = "ok";
                        break;
                    case "JOIN":
                        reply = _registry.Join(session, rest) ? "joined " + _registry.CountOf(rest) : "already";
                        break;
                    case "LEAVE":
                        reply = session.Sessions.Leave(session, rest) ? "left" : "not a member";
                        break;
                    case "SAY":
                    {
                        var parts = rest.Split(' ', 2);
                        var count = Interlocked.Increment(ref _count);
                        var result = _registry.Broadcast(parts[0], Encoding.UTF8.GetBytes("msg " + parts[0] + " " + Nick(session) + ": " + parts[1]));
                        reply = "sent " + result.Queued + " " + result.Dropped + " " + result.Gone + " " + result.Refused + " " + count;
                        break;
                    }
                    case "WHO":
                        reply = string.Join(",", _registry.MembersOf(rest).Select(Nick).OrderBy(n => n, StringComparer.Ordinal));
                        break;
                    case "STATE":
                        reply = "nick=" + Nick(session) + ";version=" + Version + ";count=" + Interlocked.Read(ref _count) + ";from=" + From(session) + ";protocol=" + session.Protocol;
                        break;
                    case "ID":
                        reply = session.Id.ToString();
                        break;
                    case "WHOAMI":
                        reply = session.RemoteEndPoint + ";" + session.ClientCertificateSubject + ";" + session.LocalEndPoint;
                        break;
                    case "PUSHTO":
                    {
                        var parts = rest.Split(' ', 2);
                        reply = _registry.Push(long.Parse(parts[0]), Encoding.UTF8.GetBytes("msg " + parts[1])).ToString();
                        break;
                    }
                    case "PUSHME":
                    {
                        var n = int.Parse(rest);
                        Task.Run(() =>
                        {
                            for (var i = 0; i < n; i++)
                            {
                                session.Push(Encoding.UTF8.GetBytes("msg self " + i));
                            }
                        });
                        reply = "pushing";
                        break;
                    }
                    case "TIMER":
                        s_timers.Add(new Timer(_ => session.Push("tick"u8), null, 0, 5));
                        reply = "timer";
                        break;
                    case "CLOSE":
                        session.Close(rest);
                        reply = "closing";
                        break;
                    default:
                        reply = "unknown " + verb;
                        break;
                }

                answer.Write(Encoding.UTF8.GetBytes(reply));
            }

            public async ValueTask ProcessAsync(ISession session, ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, CancellationToken cancellationToken)
            {
                var text = Encoding.UTF8.GetString(request.Span);
                if (text.StartsWith("SLEEP ", StringComparison.Ordinal))
                {
                    await Task.Delay(int.Parse(text[6..]), cancellationToken);
                    var pushed = session.Push(Encoding.UTF8.GetBytes("msg slept"));
                    answer.Write(Encoding.UTF8.GetBytes("slept " + pushed));
                    return;
                }

                Process(session, request.Span, answer);
            }

            public void ExportState(ISession session, IBufferWriter<byte> state) => state.Write(JsonSerializer.SerializeToUtf8Bytes(Nick(session)));

            public void ImportState(ISession session, StateImport previous)
            {
                var nick = previous.Data.IsEmpty ? "anon" : JsonSerializer.Deserialize<string>(previous.Data.Span)!;
                if ({{(throwing ? "true" : "false")}} && nick == "boom")
                {
                    throw new InvalidOperationException("cannot import boom");
                }

                session.State = NewState(nick, previous.FromVersion + (previous.IsDowngrade ? " down" : ""));
            }

            public void ExportSharedState(IBufferWriter<byte> state) => state.Write(JsonSerializer.SerializeToUtf8Bytes(Interlocked.Read(ref _count)));

            public void ImportSharedState(StateImport previous) => _count = previous.Data.IsEmpty ? 0 : JsonSerializer.Deserialize<long>(previous.Data.Span);

            public void Dispose()
            {
                // Deliberately keeps its timers: a retired generation that still pushes.
            }

            {{(version >= 2
                ? """
                  private sealed record State2(string Nick, string From, DateTime Since);

                  private static object NewState(string nick, string from) => new State2(nick, from, DateTime.UtcNow);

                  private static string Nick(ISession s) => s.State is State2 st ? st.Nick : "?";

                  private static string From(ISession s) => s.State is State2 st ? st.From : "?";
                  """
                : """
                  private sealed class State1 { public string Nick = ""; public string From = ""; }

                  private static object NewState(string nick, string from) => new State1 { Nick = nick, From = from };

                  private static string Nick(ISession s) => s.State is State1 st ? st.Nick : "?";

                  private static string From(ISession s) => s.State is State1 st ? st.From : "?";
                  """)}}
        }
        """;

    /// <summary>A new plugins directory holding <c>Room</c> at <paramref name="version"/>.</summary>
    public static string BuildDirectory(int version, bool throwing = false, bool offloaded = false, bool closeSlow = false)
    {
        var directory = Path.Combine(Path.GetTempPath(), "pnet-room-" + Guid.NewGuid().ToString("N"));
        PluginCompiler.Build(directory, Name, Source(version, throwing, offloaded, closeSlow), $"{version}.0.0");
        return directory;
    }

    /// <summary>Writes <c>Room</c> at <paramref name="version"/> over whatever is in <paramref name="directory"/>.</summary>
    public static void Build(string directory, int version, bool throwing = false, bool offloaded = false) =>
        PluginCompiler.Build(directory, Name, Source(version, throwing, offloaded), $"{version}.0.0");
}
