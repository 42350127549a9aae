namespace PluggableNet.Testing;

/// <summary>
/// A session plugin's state did not move between two versions as a hot swap moves it: an export or import threw (the
/// host would roll the swap back), or the state that came back differs from what left (<see cref="SessionStateAssert"/>).
/// </summary>
public sealed class SessionStateException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public SessionStateException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and the plugin's exception.</summary>
    public SessionStateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
