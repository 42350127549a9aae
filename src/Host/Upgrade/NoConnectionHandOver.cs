using System.Runtime.CompilerServices;
using PluggableNet.Server;

namespace PluggableNet.Host.Upgrade;

/// <summary>The fallback: no connection moves; each finishes on the old host, which drains it as on a stop.</summary>
internal sealed class NoConnectionHandOver : IConnectionHandOver
{
    public async IAsyncEnumerable<ConnectionSnapshot> DetachIdleAsync(PluggableServer server, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        yield break;
    }

    public bool Adopt(PluggableServer server, ConnectionSnapshot snapshot, out string? problem)
    {
        problem = "this build adopts no connections";
        return false;
    }
}
