using System.Globalization;
using System.Net.Sockets;
using PluggableNet.Bench.Driver;
using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Tests;

/// <summary>
/// The C baseline server passes the load generator's protocol checks (ping-pong, pipelined, wide and binary headers,
/// large frames); the C load generator verifies every answer: it fails against a server that answers wrong bytes or
/// closes early, and agrees with the .NET load generator on a correct one.
/// </summary>
public sealed class CBaselineTests
{
    private static readonly TimeSpan _bound = TimeSpan.FromSeconds(25);

    [Theory]
    [InlineData("ascii5", 1, 32)]
    [InlineData("ascii5", 8, 32)]
    [InlineData("ascii10", 4, 100)]
    [InlineData("binary", 4, 100)]
    [InlineData("binary", 1, 300_000)]
    public async Task CServer_AnswersEveryFrameAsTheLoadGeneratorExpects(string framing, int depth, int payload)
    {
        await using var server = await CBaselineProcess.StartAsync(framing);

        var result = await new LoadRunner(Options(server.Port) with { Depth = depth, PayloadBytes = payload, Framing = FrameFormat.Parse(framing) }).RunAsync().WaitAsync(_bound);

        Assert.True(result.Succeeded, result.ToJson());
        Assert.Equal(0, result.TotalRequests % depth);
    }

    [Fact]
    public async Task CServer_ClosesOnAnInvalidHeader()
    {
        await using var server = await CBaselineProcess.StartAsync();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(System.Net.IPAddress.Loopback, server.Port);

        await socket.SendAsync("00x05HELLO"u8.ToArray());
        var buffer = new byte[16];
        var read = await socket.ReceiveAsync(buffer).WaitAsync(_bound);

        Assert.Equal(0, read);
    }

    [Fact]
    public async Task CLoadGen_VerifiesAndCountsAgainstACorrectServer()
    {
        await using var server = new FakeServer(FakeServerBehavior.Correct);

        var result = await RunCLoadGenAsync(server.Port, depth: 4);

        Assert.True(result.Succeeded, result.ToJson());
        Assert.True(result.Requests > 0, "no request was answered in the measured window: " + result.ToJson());
        Assert.Equal(0, result.TotalRequests % 4);
        Assert.True(result.P50Us > 0 && result.P99Us >= result.P50Us);
        Assert.True(result.ClientCpuSeconds > 0);
    }

    [Fact]
    public async Task CLoadGen_DetectsAWrongAnswer()
    {
        await using var server = new FakeServer(FakeServerBehavior.WrongBytes);

        var result = await RunCLoadGenAsync(server.Port, depth: 1);

        Assert.True(result.WrongAnswers > 0, result.ToJson());
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task CLoadGen_CountsAnEarlyCloseAsAnError()
    {
        await using var server = new FakeServer(FakeServerBehavior.CloseAfterFirstAnswer);

        var result = await RunCLoadGenAsync(server.Port, depth: 1);

        Assert.True(result.UnexpectedCloses > 0, result.ToJson());
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task CLoadGen_AgainstTheCServerLargeFramesInBothFramings()
    {
        await using var ascii = await CBaselineProcess.StartAsync("ascii5");
        await using var binary = await CBaselineProcess.StartAsync("binary", 2 * 1024 * 1024);

        var small = await RunCLoadGenAsync(ascii.Port, depth: 16);
        var large = await RunCLoadGenAsync(binary.Port, depth: 1, payload: 1024 * 1024, framing: "binary");

        Assert.True(small.Succeeded, small.ToJson());
        Assert.True(large.Succeeded, large.ToJson());
    }

    private static async Task<LoadResult> RunCLoadGenAsync(int port, int depth, int payload = 32, string framing = "ascii5")
    {
        var loadgen = CBaseline.Build().LoadGen;
        await using var process = ChildProcess.Start(loadgen, ["-p", port.ToString(CultureInfo.InvariantCulture), "-c", "2", "-d", depth.ToString(CultureInfo.InvariantCulture), "-s", payload.ToString(CultureInfo.InvariantCulture), "-f", framing, "-t", "0.5", "-w", "0.1"]);
        var exitCode = await process.WaitForExitAsync(_bound);
        var json = process.Output.Split('\n').Last(l => l.StartsWith('{'));
        var result = LoadResult.FromJson(json)!;
        Assert.Equal(result.Succeeded ? 0 : 1, exitCode);
        return result;
    }

    private static LoadOptions Options(int port) => new()
    {
        Port = port,
        Connections = 2,
        Depth = 1,
        PayloadBytes = 32,
        Duration = TimeSpan.FromSeconds(0.5),
        Warmup = TimeSpan.FromSeconds(0.1),
    };
}
