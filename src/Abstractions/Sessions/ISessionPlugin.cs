using System.Buffers;

namespace PluggableNet;

/// <summary>
/// A plugin that keeps sessions: it sees which connection a request came on (<see cref="ISession"/>), hears when
/// connections open and close, keeps per-connection state, and may push. Its state survives a hot swap as data:
/// the old generation exports it, the new one imports it, as Erlang's <c>code_change</c> (docs/sessions.md).
/// </summary>
/// <remarks>
/// Every <see cref="ILogicPlugin"/> rule holds: inline calls run on a reactor thread and must not block. For one
/// connection, <see cref="OnOpened"/>, the requests and <see cref="OnClosed"/> never run at the same time.
/// </remarks>
public interface ISessionPlugin : ILogicPlugin
{
    /// <summary>How the host serves this plugin's sessions. Read once when the plugin is loaded.</summary>
    SessionOptions Sessions => SessionOptions.Default;

    /// <summary>A connection's session began (its protocol is known). Set <see cref="ISession.State"/> here.</summary>
    void OnOpened(ISession session)
    {
    }

    /// <summary>The connection closed, for <paramref name="reason"/>; it has already left every group.</summary>
    void OnClosed(ISession session, SessionCloseReason reason)
    {
    }

    /// <summary>Handles one request of <paramref name="session"/> on the reactor thread (see <see cref="ILogicPlugin.Process"/>).</summary>
    /// <param name="session">The connection the request came on.</param>
    /// <param name="request">The request payload. Valid only for the duration of the call.</param>
    /// <param name="answer">Where to write the answer payload (on a v1 stream, an empty answer sends nothing).</param>
    void Process(ISession session, ReadOnlySpan<byte> request, IBufferWriter<byte> answer);

    /// <summary>Handles one request off the reactor thread (see <see cref="ILogicPlugin.ProcessAsync"/>). The default calls <see cref="Process(ISession, ReadOnlySpan{byte}, IBufferWriter{byte})"/>.</summary>
    ValueTask ProcessAsync(ISession session, ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, CancellationToken cancellationToken)
    {
        Process(session, request.Span, answer);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// At a swap, on the generation being retired, between two requests of the connection: writes the session's state
    /// as data (JSON, or any bytes the next version can read). Nothing written means nothing to import.
    /// </summary>
    void ExportState(ISession session, IBufferWriter<byte> state)
    {
    }

    /// <summary>
    /// At a swap, on the new generation: rebuilds the session's state from what the previous version exported, as
    /// Erlang's <c>code_change(OldVsn, State, Extra)</c>. Throwing rolls the whole swap back.
    /// </summary>
    void ImportState(ISession session, StateImport previous)
    {
    }

    /// <summary>At a swap, on the generation being retired: the state every session shares (rooms, counters), as data.</summary>
    void ExportSharedState(IBufferWriter<byte> state)
    {
    }

    /// <summary>At a swap, on the new generation, before any session is imported: the shared state, rebuilt. Throwing rolls the swap back.</summary>
    void ImportSharedState(StateImport previous)
    {
    }

    /// <summary>A session plugin is always called with its session; the host never calls this overload.</summary>
    void ILogicPlugin.Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer) =>
        throw new NotSupportedException("A session plugin is called with its session: Process(ISession, request, answer).");
}
