namespace PluggableNet.Server.Connections;

/// <summary>Something waiting for a free <see cref="OffloadGate"/> slot: a reactor, or one connection's loop.</summary>
internal interface IOffloadSlotWaiter
{
    /// <summary>
    /// A slot may be free: try again (on the waiter's own thread, soon). Called once per <see cref="OffloadGate.WaitForSlot"/>,
    /// under the gate's lock, so it only signals. False when the waiter no longer waits, so the slot goes to the next one.
    /// </summary>
    bool OnSlotMayBeFree();
}
