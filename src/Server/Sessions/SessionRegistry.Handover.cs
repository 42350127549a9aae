using System.Buffers;

namespace PluggableNet.Server.Sessions;

/// <summary>
/// A detach batch (issue 23) holds the gate as a swap does: no session code runs while the shared state is exported
/// and the sessions leave one by one, so what leaves is one consistent state. Frames that arrive meanwhile stay
/// buffered and leave with their connection; the new server answers them.
/// </summary>
internal sealed partial class SessionRegistry
{
    /// <summary>
    /// Suspends the gate and waits until no session code runs, then has <paramref name="scope"/>'s plugin export the
    /// shared state. Throws <see cref="SessionMigrationException"/> (the gate reopened, nothing exported) when calls still
    /// run at <paramref name="timeout"/> or the export throws.
    /// </summary>
    public async Task<byte[]> SuspendForDetachAsync(SessionScope scope, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Suspend();
        try
        {
            try
            {
                await WaitUntilQuietAsync(scope, timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (SessionMigrationException)
            {
                throw new SessionMigrationException($"{Active} call(s) of {scope.Describe} were still running at the detach deadline ({timeout.TotalSeconds:0.###} s): no connection moved");
            }

            var buffer = new ArrayBufferWriter<byte>();
            try
            {
                scope.Plugin?.ExportSharedState(buffer);
            }
            catch (Exception exception)
            {
                throw new SessionMigrationException($"{scope.Describe} threw in ExportSharedState: {exception.GetType().Name}: {exception.Message}", exception);
            }

            return buffer.WrittenSpan.ToArray();
        }
        catch
        {
            Resume();
            throw;
        }
    }

    /// <summary>The batch ended: sessions left behind are served again (and close with this host).</summary>
    public void ResumeAfterDetach() => Resume();
}
