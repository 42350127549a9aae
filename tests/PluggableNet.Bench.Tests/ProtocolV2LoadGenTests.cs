using System.Globalization;
using PluggableNet.Bench.Driver;
using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Tests;

/// <summary>
/// Both load generators speak v2 as the spec says and verify it: answers matched by id in any order pass; a duplicate
/// id or a wrong byte fails the run.
/// </summary>
public sealed class ProtocolV2LoadGenTests
{
    private static readonly TimeSpan _bound = TimeSpan.FromSeconds(25);

    [Fact]
    public async Task DotnetLoadGen_AcceptsOutOfOrderAnswersMatchedById()
    {
        await using var server = new FakeV2Server(FakeV2Behavior.CorrectOutOfOrder);

        var result = await new LoadRunner(Options(server.Port)).RunAsync().WaitAsync(_bound);

        Assert.True(result.Succeeded, result.ToJson());
        Assert.Equal("v2", result.Protocol);
        Assert.Equal(0, result.TotalRequests % 8);
    }

    [Theory]
    [InlineData(FakeV2Behavior.DuplicateId)]
    [InlineData(FakeV2Behavior.WrongPayload)]
    public async Task DotnetLoadGen_FailsOnADuplicateIdOrAWrongByte(FakeV2Behavior behavior)
    {
        await using var server = new FakeV2Server(behavior);

        var result = await new LoadRunner(Options(server.Port)).RunAsync().WaitAsync(_bound);

        Assert.True(result.WrongAnswers > 0, result.ToJson());
        Assert.False(result.Succeeded);
    }

    [Theory]
    [InlineData(FakeV2Behavior.CorrectOutOfOrder, true)]
    [InlineData(FakeV2Behavior.DuplicateId, false)]
    [InlineData(FakeV2Behavior.WrongPayload, false)]
    public async Task CLoadGen_VerifiesV2AnswersById(FakeV2Behavior behavior, bool succeeds)
    {
        await using var server = new FakeV2Server(behavior);
        var loadgen = CBaseline.Build().LoadGen;

        await using var process = ChildProcess.Start(loadgen, ["-p", server.Port.ToString(CultureInfo.InvariantCulture), "-c", "2", "-d", "8", "-s", "32", "-t", "0.5", "-w", "0.1", "-P", "2"]);
        var exitCode = await process.WaitForExitAsync(_bound);
        var result = LoadResult.FromJson(process.Output.Split('\n').Last(l => l.StartsWith('{')))!;

        Assert.Equal("v2", result.Protocol);
        Assert.True(succeeds == result.Succeeded && result.Requests > 0 == succeeds, $"{result.ToJson()} {process.Error}");
        Assert.Equal(succeeds ? 0 : 1, exitCode);
        if (succeeds)
        {
            Assert.True(result.Requests > 0 && result.TotalRequests % 8 == 0, result.ToJson());
        }
        else
        {
            Assert.True(result.WrongAnswers > 0, result.ToJson());
        }
    }

    private static LoadOptions Options(int port) => new()
    {
        Port = port,
        Connections = 2,
        Depth = 8,
        PayloadBytes = 32,
        Duration = TimeSpan.FromSeconds(0.5),
        Warmup = TimeSpan.FromSeconds(0.1),
        Protocol = WireVersion.V2,
    };
}
