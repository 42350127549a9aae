namespace PluggableNet.Protocol;

/// <summary>What <see cref="LengthHeader.TryRead"/> found at the start of its input.</summary>
public enum LengthHeaderStatus
{
    /// <summary>Fewer bytes than a whole header.</summary>
    Incomplete,

    /// <summary>A whole header; the announced length is known (it may be 0, and is not checked against any limit).</summary>
    Valid,

    /// <summary>An ASCII header with a byte that is not <c>0</c>..<c>9</c> (signs and spaces included).</summary>
    NotDigits,
}
