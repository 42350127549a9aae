using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using PluggableNet;

namespace Echo;

/// <summary>
/// A session plugin: every connection keeps a name (its state, <see cref="EchoState"/>) and every connection shares
/// a count of requests; both survive a hot swap. One text command per request: <c>NAME text</c>, <c>WHOAMI</c>,
/// <c>COUNT</c>.
/// </summary>
public sealed class EchoPlugin : ISessionPlugin
{
    private readonly ILogger<EchoPlugin> _logger;
    private readonly ISessionRegistry _sessions;

    // Shared by every session: moved to the next version by ExportSharedState/ImportSharedState.
    private long _requests;

    /// <summary>Built by the host through dependency injection, once per loaded version.</summary>
    /// <param name="logger">The host's logger.</param>
    /// <param name="sessions">Every open session of the host, and the groups (rooms) they join.</param>
    public EchoPlugin(ILogger<EchoPlugin> logger, ISessionRegistry sessions)
    {
        _logger = logger;
        _sessions = sessions;
    }

    /// <summary>
    /// How the host serves this plugin's connections, read once when it is loaded. To push to connections unasked
    /// (<c>session.Push</c>, <c>_sessions.Broadcast(group, …)</c>), set <c>Pushes = true</c> and
    /// <c>V1StreamMode = true</c>: a v1 client pairs every frame it receives with a request, so it takes pushes only on
    /// a connection declared a stream both ways (where an empty answer sends nothing). The host refuses to load a
    /// plugin that pushes without it; v2 clients get pushes as PUSH frames either way.
    /// </summary>
    public SessionOptions Sessions { get; } = new() { Pushes = false, V1StreamMode = false };
//#if (offloaded)

    /// <inheritdoc />
    public PluginExecution Execution => PluginExecution.Offloaded;

    /// <inheritdoc />
    public async ValueTask ProcessAsync(ISession session, ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, CancellationToken cancellationToken)
    {
        // Runs on the thread pool, one request of a session at a time: await the I/O the answer needs here.
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        Process(session, request.Span, answer);
    }
//#endif

    /// <inheritdoc />
    public void OnOpened(ISession session) => session.State = new EchoState("guest" + session.Id, 0);

    /// <inheritdoc />
    public void OnClosed(ISession session, SessionCloseReason reason) =>
        _logger.LogDebug("{Name} left: {Reason}", ((EchoState)session.State!).Name, reason);

    /// <inheritdoc />
    public void Process(ISession session, ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
    {
        var line = Encoding.UTF8.GetString(request).TrimEnd('\r', '\n');
        var space = line.IndexOf(' ');
        var command = (space < 0 ? line : line[..space]).ToUpperInvariant();
        var argument = space < 0 ? string.Empty : line[(space + 1)..];
        var current = (EchoState)session.State!;
        var state = current with { Requests = current.Requests + 1 };
        session.State = state;
        var total = Interlocked.Increment(ref _requests);
        var reply = command switch
        {
            "NAME" when argument.Length > 0 => SetName(session, state, argument),
            "WHOAMI" => $"{state.Name}, {state.Requests} request(s)",
            "COUNT" => $"{total} request(s) from {_sessions.Count} connection(s)",
            _ => "commands: NAME text, WHOAMI, COUNT",
        };
        answer.Write(Encoding.UTF8.GetBytes(reply));
    }

    /// <summary>At a swap, on this (retiring) version: the session's state as data, for the next version.</summary>
    public void ExportState(ISession session, IBufferWriter<byte> state) =>
        state.Write(JsonSerializer.SerializeToUtf8Bytes((EchoState)session.State!));

    /// <summary>At a swap, on this (new) version: the state the previous version exported, rebuilt (Erlang's code_change).</summary>
    public void ImportState(ISession session, StateImport previous)
    {
        if (previous.Data.IsEmpty)
        {
            // The previous version kept nothing for this connection.
            OnOpened(session);
            return;
        }

        // previous.FromVersion is who wrote the data; previous.IsDowngrade says a newer version is being rolled back.
        // JSON fields this version does not know are skipped and missing ones take their default, so adding a field
        // needs nothing here, either way. When the shape changes, transform the older one here, for example:
        //     if (previous.FromVersion.StartsWith("1.", StringComparison.Ordinal))
        //     {
        //         var old = JsonSerializer.Deserialize<EchoStateV1>(previous.Data.Span)!;   // 1.x: { "Nick": … }
        //         session.State = new EchoState(old.Nick, 0);
        //         return;
        //     }
        session.State = JsonSerializer.Deserialize<EchoState>(previous.Data.Span)!;
    }

    /// <summary>At a swap, on this (retiring) version: the state every session shares.</summary>
    public void ExportSharedState(IBufferWriter<byte> state) =>
        state.Write(JsonSerializer.SerializeToUtf8Bytes(Interlocked.Read(ref _requests)));

    /// <summary>At a swap, on this (new) version, before any session's state: the shared state, rebuilt.</summary>
    public void ImportSharedState(StateImport previous) =>
        _requests = previous.Data.IsEmpty ? 0 : JsonSerializer.Deserialize<long>(previous.Data.Span);

    private static string SetName(ISession session, EchoState state, string name)
    {
        session.State = state with { Name = name };
        return $"you are {name}";
    }
}
