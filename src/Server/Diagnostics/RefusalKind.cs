namespace PluggableNet.Server.Diagnostics;

/// <summary>Why a connection was closed at once, at admission: the <c>error.type</c> of <c>pluggablenet.rejected_connections</c>.</summary>
internal enum RefusalKind
{
    /// <summary>The host holds <c>Limits:MaxConnections</c> connections already.</summary>
    MaxConnections,

    /// <summary>Keeping it would leave less than the reserve of descriptors free under the open-files limit.</summary>
    OpenFiles,

    /// <summary>Its client address holds <c>Limits:MaxConnectionsPerAddress</c> connections already.</summary>
    AddressConnections,

    /// <summary>Its client address opens connections faster than <c>Limits:AcceptRatePerAddress</c>.</summary>
    AddressRate,
}
