using Microsoft.Extensions.Logging;
using PluggableNet.Server.Connections.Handover;

namespace PluggableNet.Server.Connections;

/// <summary>Connections leaving for another server and arriving from one (issue 23): counted out and in, never refused.</summary>
internal sealed partial class ConnectionLifecycle
{
    /// <summary>
    /// A transport stopped serving <paramref name="machine"/> without closing its socket (<see cref="FrameConnection.Detach"/>):
    /// it is counted out as if closed (its address too) and its snapshot goes to the batch. No close is logged or timed:
    /// the connection did not close.
    /// </summary>
    public void Detached(FrameConnection machine, ConnectionSnapshot snapshot, DetachRequest request)
    {
        Context.Addresses.Release(machine.AddressSlot);
        machine.AddressSlot = -1;

        // Counted out before it is delivered: the delivery may end the batch, which reads what is left.
        CountClosed();
        request.Deliver(snapshot);
        if (Open == 0)
        {
            // Nobody left to wait for: the batch ends now rather than at its deadline.
            request.Close();
        }
    }

    /// <summary>
    /// The machine for a connection arriving from another server: counted in over <c>Limits:MaxConnections</c> and the
    /// per-address limits if need be (it was admitted once; refusing it now would close it), its times re-based.
    /// </summary>
    public FrameConnection Adopt(ConnectionSnapshot snapshot, long now, bool scannedFromAnotherThread)
    {
        Context.Metrics.ConnectionOpened();
        var machine = FrameConnection.Adopt(Context, snapshot, now, scannedFromAnotherThread);
        machine.DescriptorsToAvoid = snapshot.DescriptorsToAvoid;
        machine.AddressSlot = Context.Addresses.Adopt(machine.Peer, now);
        if (Context.Logger.IsEnabled(LogLevel.Debug))
        {
            HandoverLog.Adopted(Context.Logger, machine.Id, machine.Peer, snapshot.PreviousId, snapshot.Protocol.ToString(), snapshot.Received.Length);
        }

        return machine;
    }

    /// <summary>An adopted machine that never reached a transport (its session import failed): counted out again.</summary>
    public void AdoptionFailed(FrameConnection machine)
    {
        machine.Release();
        Context.Addresses.Release(machine.AddressSlot);
        machine.AddressSlot = -1;
        CountClosed();
    }
}
