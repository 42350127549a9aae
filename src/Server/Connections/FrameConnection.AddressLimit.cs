namespace PluggableNet.Server.Connections;

/// <summary>
/// The per-address limits (<see cref="AddressAdmission"/>) for a connection whose client a PROXY header names: judged
/// once the header is read, on the client's address rather than the proxy's.
/// </summary>
internal sealed partial class FrameConnection
{
    /// <summary>Where the connection is counted in the address table, to be released when it closes; -1 when nowhere.</summary>
    public int AddressSlot { get; set; } = -1;

    /// <summary>Admits the client the PROXY header named, or closes the connection at once (Rejected, no lingering).</summary>
    private bool AdmitProxiedClient(long now)
    {
        if (_context.Addresses.TryAdmit(Peer, now, out var slot))
        {
            AddressSlot = slot;
            return true;
        }

        _input.Clear();
        Abort(CloseReason.Rejected);
        return false;
    }
}
