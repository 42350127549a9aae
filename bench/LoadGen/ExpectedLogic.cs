namespace PluggableNet.LoadGen;

/// <summary>The server logic whose answers the load generator expects, and verifies byte for byte.</summary>
public enum ExpectedLogic
{
    /// <summary>The answer is the payload reversed byte-wise.</summary>
    Reverse,

    /// <summary>The answer is the payload upper-cased (the generated payloads are ASCII letters).</summary>
    Upper,
}
