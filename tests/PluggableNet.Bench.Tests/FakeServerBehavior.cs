namespace PluggableNet.Bench.Tests;

/// <summary>How the in-test server answers.</summary>
internal enum FakeServerBehavior
{
    /// <summary>Reverse, correctly framed.</summary>
    Correct,

    /// <summary>Correct header, but the first payload byte changed.</summary>
    WrongBytes,

    /// <summary>Answers the first request correctly, then closes the connection.</summary>
    CloseAfterFirstAnswer,
}
