using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Driver;

/// <summary>What one scenario run against one server in one round produced.</summary>
internal sealed record Measurement
{
    public required string Server { get; init; }

    public required string Scenario { get; init; }

    public required int Round { get; init; }

    public required LoadResult Load { get; init; }

    /// <summary>Server CPU seconds per 100,000 answered requests.</summary>
    public double? CpuSecondsPer100K { get; init; }

    /// <summary>Load generator CPU seconds per 100,000 answered requests.</summary>
    public double? ClientCpuSecondsPer100K { get; init; }

    /// <summary>PluggableNet epoll only: reactors active at the end of the measured window (what auto chose).</summary>
    public int? ActiveReactors { get; init; }

    /// <summary>Bytes the server allocated per answered request.</summary>
    public double? AllocatedBytesPerRequest { get; init; }

    /// <summary>Idle scenario only: server RSS growth per idle connection, in bytes.</summary>
    public double? IdleRssBytesPerConnection { get; init; }

    /// <summary>Idle scenario only: idle connections that could not be opened.</summary>
    public int IdleConnectFailures { get; init; }

    /// <summary>LoadGen errors plus idle connect failures: any of these fails the driver.</summary>
    public long Errors => Load.Errors + IdleConnectFailures;
}
