using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Tests;

/// <summary>A load generator's result that ran at a given rate, for report tests where only the rate and the shape matter.</summary>
internal static class FakeLoad
{
    public static LoadResult At(double rps) => new()
    {
        Address = "127.0.0.1",
        Port = 1,
        Connections = 1,
        Depth = 1,
        PayloadBytes = 1,
        Framing = "ascii5",
        Logic = "reverse",
        MeasuredSeconds = 1,
        Requests = (long)rps,
        TotalRequests = (long)rps,
        RequestsPerSecond = rps,
        P50Us = 10,
        P99Us = 20,
        P999Us = 30,
        MaxUs = 40,
        MeanUs = 12,
        WrongAnswers = 0,
        UnexpectedCloses = 0,
        ConnectErrors = 0,
    };
}
