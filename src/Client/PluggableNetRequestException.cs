using System.Net;
using PluggableNet.Protocol.V2;

namespace PluggableNet.Client;

/// <summary>
/// Protocol v2: the server answered the request with an ERROR frame. <see cref="Code"/> says why, <see cref="Exception.Message"/>
/// carries the server's reason, and <see cref="MayHaveBeenProcessed"/> whether it acted on the request: false for
/// <see cref="ErrorCode.ShuttingDown"/>, <see cref="ErrorCode.Overloaded"/> and <see cref="ErrorCode.FrameTooLarge"/>
/// (sending it again is safe), true for the others (the plugin ran, or may have).
/// </summary>
public sealed class PluggableNetRequestException : Exception
{
    /// <summary>Creates the exception; <see cref="MayHaveBeenProcessed"/> follows from <paramref name="code"/>.</summary>
    public PluggableNetRequestException(ErrorCode code, string message, EndPoint? endpoint = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        MayHaveBeenProcessed = RequestErrors.MayHaveBeenProcessed(code);
        Endpoint = endpoint;
    }

    /// <summary>Creates the exception with a message only (<see cref="ErrorCode.InternalError"/>: it may have been processed).</summary>
    public PluggableNetRequestException(string message)
        : this(ErrorCode.InternalError, message)
    {
    }

    /// <summary>Creates the exception with a message and its cause (<see cref="ErrorCode.InternalError"/>).</summary>
    public PluggableNetRequestException(string message, Exception innerException)
        : this(ErrorCode.InternalError, message, endpoint: null, innerException)
    {
    }

    /// <summary>Creates the exception with a default message (<see cref="ErrorCode.InternalError"/>).</summary>
    public PluggableNetRequestException()
        : this("The server failed the request.")
    {
    }

    /// <summary>Why the server failed the request (an unknown code reads as <see cref="ErrorCode.InternalError"/>).</summary>
    public ErrorCode Code { get; }

    /// <summary>
    /// Whether the server may have acted on the request: false when its code says it did not
    /// (<see cref="ErrorCode.ShuttingDown"/>, <see cref="ErrorCode.Overloaded"/>, <see cref="ErrorCode.FrameTooLarge"/>).
    /// </summary>
    public bool MayHaveBeenProcessed { get; }

    /// <summary>The endpoint that answered with the error, if known.</summary>
    public EndPoint? Endpoint { get; }
}
