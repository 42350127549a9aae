using System.Buffers;
using System.Text;
using System.Text.Json;

namespace PluggableNet.Plugins.Chat;

/// <summary>
/// A chat server in one class: the bundled example of a session plugin (docs/sessions.md). One text command per
/// request, the room as a group of the host's registry, the nickname in the session's state, a message count shared by
/// every session; all three survive a hot swap.
/// </summary>
/// <remarks>
/// Commands: <c>NICK name</c>, <c>JOIN room</c>, <c>SAY room text</c>, <c>LEAVE room</c>, <c>WHO room</c>,
/// <c>STATS</c>. Everyone in a room, the sender included, gets <c>room nick: text</c> pushed. SAY answers nothing
/// (on a v1 stream an empty answer sends nothing; a v2 client gets an empty ANSWER); the others answer a line.
/// </remarks>
public sealed class ChatPlugin(ISessionRegistry registry) : ISessionPlugin
{
    private long _messages;

    /// <summary>Pushes; v1 clients get them on the stream; a member too far behind misses messages rather than stall the room.</summary>
    public SessionOptions Sessions { get; } = new() { Pushes = true, V1StreamMode = true, SlowConsumer = SlowConsumerPolicy.DropMessage };

    public void OnOpened(ISession session) => session.State = new ChatState("guest" + session.Id);

    public void Process(ISession session, ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
    {
        var line = Encoding.UTF8.GetString(request).TrimEnd('\r', '\n');
        var space = line.IndexOf(' ');
        var command = (space < 0 ? line : line[..space]).ToUpperInvariant();
        var argument = space < 0 ? string.Empty : line[(space + 1)..];
        var state = (ChatState)session.State!;
        var reply = command switch
        {
            "NICK" when argument.Length > 0 => SetNick(session, argument),
            "JOIN" when argument.Length > 0 => registry.Join(session, argument) ? $"joined {argument} ({registry.CountOf(argument)} here)" : $"already in {argument}",
            "LEAVE" when argument.Length > 0 => registry.Leave(session, argument) ? $"left {argument}" : $"not in {argument}",
            "WHO" when argument.Length > 0 => string.Join(' ', registry.MembersOf(argument).Select(s => ((ChatState)s.State!).Nick).Order(StringComparer.Ordinal)),
            "SAY" when argument.IndexOf(' ') > 0 => Say(state, argument),
            "STATS" => $"messages {Interlocked.Read(ref _messages)}, sessions {registry.Count}",
            _ => "commands: NICK name, JOIN room, SAY room text, LEAVE room, WHO room, STATS",
        };

        answer.Write(Encoding.UTF8.GetBytes(reply));
    }

    /// <summary>The nickname, as JSON: what the next version reads in <see cref="ImportState"/>.</summary>
    public void ExportState(ISession session, IBufferWriter<byte> state) =>
        state.Write(JsonSerializer.SerializeToUtf8Bytes((ChatState)session.State!));

    /// <summary>Erlang's code_change: an older version's state (or a newer one's, on a rollback) into this version's shape.</summary>
    public void ImportState(ISession session, StateImport previous) =>
        session.State = previous.Data.IsEmpty ? new ChatState("guest" + session.Id) : JsonSerializer.Deserialize<ChatState>(previous.Data.Span)!;

    public void ExportSharedState(IBufferWriter<byte> state) => state.Write(JsonSerializer.SerializeToUtf8Bytes(Interlocked.Read(ref _messages)));

    public void ImportSharedState(StateImport previous) =>
        _messages = previous.Data.IsEmpty ? 0 : JsonSerializer.Deserialize<long>(previous.Data.Span);

    private static string SetNick(ISession session, string nick)
    {
        session.State = (ChatState)session.State! with { Nick = nick };
        return $"you are {nick}";
    }

    private string Say(ChatState state, string argument)
    {
        var space = argument.IndexOf(' ');
        var room = argument[..space];
        Interlocked.Increment(ref _messages);
        registry.Broadcast(room, Encoding.UTF8.GetBytes($"{room} {state.Nick}: {argument[(space + 1)..]}"));
        return string.Empty;
    }
}
