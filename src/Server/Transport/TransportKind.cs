namespace PluggableNet.Server.Transport;

/// <summary>Which transport serves connections.</summary>
public enum TransportKind
{
    /// <summary>The native epoll reactor (Linux only; the default there).</summary>
    Epoll,

    /// <summary>System.Net.Sockets: portable, for Windows and macOS development machines.</summary>
    Sockets,
}
