using System.Buffers;

namespace PluggableNet;

/// <summary>
/// Business logic for one PluggableNet host: turns one request payload into one answer payload.
/// </summary>
/// <remarks>
/// <para>
/// The host owns the wire: it decodes the length-prefixed frame, hands the payload to the plugin,
/// and frames whatever the plugin writes into <c>answer</c>. A plugin never sees headers.
/// </para>
/// <para>
/// A plugin lives in its own assembly, loaded into a collectible <see cref="System.Runtime.Loader.AssemblyLoadContext"/>.
/// It is created through dependency injection: its constructor may take <c>ILogger&lt;T&gt;</c> and
/// <c>Microsoft.Extensions.Configuration.IConfiguration</c> (its own section, <c>Plugins:&lt;Name&gt;</c>).
/// If it implements <see cref="IDisposable"/> or <see cref="IAsyncDisposable"/> it is disposed when it is
/// swapped out; it must then stop every thread and timer it started so its code can unload.
/// </para>
/// <para>
/// Answers on one connection are always sent in request order, whichever <see cref="Execution"/> is chosen.
/// </para>
/// </remarks>
public interface ILogicPlugin
{
    /// <summary>
    /// How the host calls this plugin. <see cref="PluginExecution.Inline"/> (the default) calls
    /// <see cref="Process"/> on the reactor thread: the fastest path, for logic that never blocks.
    /// <see cref="PluginExecution.Offloaded"/> calls <see cref="ProcessAsync"/> on the thread pool, for
    /// logic that awaits I/O. Read once when the plugin is loaded.
    /// </summary>
    PluginExecution Execution => PluginExecution.Inline;

    /// <summary>
    /// Handles one request on the calling (reactor) thread. Must not block: every connection served by this
    /// reactor waits while it runs.
    /// </summary>
    /// <param name="request">The request payload. Valid only for the duration of the call.</param>
    /// <param name="answer">Where to write the answer payload. An empty answer is sent as an empty frame.</param>
    void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer);

    /// <summary>
    /// Handles one request off the reactor thread. Called only when <see cref="Execution"/> is
    /// <see cref="PluginExecution.Offloaded"/>. The default implementation calls <see cref="Process"/>.
    /// </summary>
    /// <param name="request">The request payload, owned by this call until the returned task completes.</param>
    /// <param name="answer">Where to write the answer payload; the host frames it once the task completes.</param>
    /// <param name="cancellationToken">Signalled when the host gives up on the request (timeout, connection closed, shutdown).</param>
    ValueTask ProcessAsync(ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, CancellationToken cancellationToken)
    {
        Process(request.Span, answer);
        return ValueTask.CompletedTask;
    }
}
