namespace PluggableNet.Client;

/// <summary>How a request picks among the endpoints that are up.</summary>
public enum EndpointSelection
{
    /// <summary>The endpoint with the fewest requests awaiting an answer; ties go round-robin. The default.</summary>
    LeastPending,

    /// <summary>Each endpoint in turn.</summary>
    RoundRobin,
}
