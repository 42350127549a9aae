using System.Net;

namespace PluggableNet.Client;

/// <summary>
/// A request got no answer because its connection could not be made or ended before the answer arrived.
/// <see cref="MayHaveBeenProcessed"/> tells whether the server may have acted on it: false means it certainly did
/// not (it was never sent whole), so sending it again is safe whatever it does.
/// </summary>
public sealed class PluggableNetConnectionException : IOException
{
    /// <summary>Creates the exception.</summary>
    public PluggableNetConnectionException(string message, bool mayHaveBeenProcessed, EndPoint? endpoint = null, Exception? innerException = null)
        : base(message, innerException)
    {
        MayHaveBeenProcessed = mayHaveBeenProcessed;
        Endpoint = endpoint;
    }

    /// <summary>Creates the exception with a message only (the request may have been processed).</summary>
    public PluggableNetConnectionException(string message)
        : this(message, mayHaveBeenProcessed: true)
    {
    }

    /// <summary>Creates the exception with a message and its cause (the request may have been processed).</summary>
    public PluggableNetConnectionException(string message, Exception innerException)
        : this(message, mayHaveBeenProcessed: true, endpoint: null, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public PluggableNetConnectionException()
        : this("The connection ended before the answer arrived.")
    {
    }

    /// <summary>
    /// Whether the server may have processed the request: true when it was sent whole and the connection died before
    /// its answer; false when it was never sent whole (no endpoint reachable, connection died while writing it).
    /// </summary>
    public bool MayHaveBeenProcessed { get; }

    /// <summary>The endpoint the request was last sent (or meant to be sent) to, if any.</summary>
    public EndPoint? Endpoint { get; }
}
