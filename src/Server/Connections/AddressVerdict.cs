namespace PluggableNet.Server.Connections;

/// <summary>What <see cref="AddressTable.TryAdmit"/> decided for one new connection.</summary>
internal enum AddressVerdict
{
    /// <summary>Admitted and counted under its address.</summary>
    Admitted,

    /// <summary>
    /// Admitted without per-address accounting: the address's set of the table is full of addresses that still hold
    /// connections or recent accepts. <c>Limits:MaxConnections</c> still bounds it.
    /// </summary>
    Untracked,

    /// <summary>Refused: the address holds <c>Limits:MaxConnectionsPerAddress</c> connections already.</summary>
    TooManyConnections,

    /// <summary>Refused: the address opens connections faster than <c>Limits:AcceptRatePerAddress</c> allows.</summary>
    TooFast,
}
