using PluggableNet.LoadGen;

namespace PluggableNet.Bench.Tests;

public sealed class LoadGenVerificationTests
{
    private static readonly TimeSpan _bound = TimeSpan.FromSeconds(25);

    [Fact]
    public async Task CorrectServer_NoErrorsAndRequestsCounted()
    {
        await using var server = new FakeServer(FakeServerBehavior.Correct);

        var result = await new LoadRunner(Options(server.Port)).RunAsync().WaitAsync(_bound);

        Assert.Equal(0, result.Errors);
        Assert.True(result.Requests > 0, "no request was answered in the measured window: " + result.ToJson());
        Assert.True(result.Succeeded);
        Assert.True(result.P50Us > 0 && result.P99Us >= result.P50Us && result.MaxUs >= result.P99Us);
    }

    [Fact]
    public async Task CorrectServer_PipelinedBinaryAndWideHeaders_AreEncodedAsTheProtocolSays()
    {
        Assert.Equal("ascii5", FrameFormat.Parse("ascii").ToString());
        Assert.Equal(10, FrameFormat.Parse("ascii10").HeaderLength);
        Assert.True(FrameFormat.Parse("binary").IsBinary);
        Assert.False(FrameFormat.TryParse("ascii11", out _));

        var header = new byte[5];
        FrameFormat.Default.WriteHeader(header, 5);
        Assert.Equal("00005"u8.ToArray(), header);

        var binary = new byte[4];
        FrameFormat.Binary.WriteHeader(binary, 258);
        Assert.Equal(new byte[] { 0, 0, 1, 2 }, binary);

        await using var server = new FakeServer(FakeServerBehavior.Correct);
        var result = await new LoadRunner(Options(server.Port) with { Depth = 8 }).RunAsync().WaitAsync(_bound);
        Assert.True(result.Succeeded);
        Assert.Equal(0, result.TotalRequests % 8);
    }

    [Fact]
    public async Task WrongBytes_AreCountedAndTheCommandFails()
    {
        await using var server = new FakeServer(FakeServerBehavior.WrongBytes);

        var result = await new LoadRunner(Options(server.Port)).RunAsync().WaitAsync(_bound);

        Assert.True(result.WrongAnswers > 0);
        Assert.True(result.Errors > 0);
        Assert.False(result.Succeeded);

        var exitCode = await LoadGenCommand.Create()
            .Parse(["--port", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--connections", "2", "--duration", "0.5", "--warmup", "0", "--quiet"])
            .InvokeAsync()
            .WaitAsync(_bound);
        Assert.NotEqual(0, exitCode);
    }

    [Fact]
    public async Task EarlyClose_IsCountedAsAnError()
    {
        await using var server = new FakeServer(FakeServerBehavior.CloseAfterFirstAnswer);

        var result = await new LoadRunner(Options(server.Port)).RunAsync().WaitAsync(_bound);

        Assert.True(result.UnexpectedCloses > 0);
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task NoServer_IsAConnectError()
    {
        var port = PluggableNet.Bench.Driver.FreePort.Next();

        var result = await new LoadRunner(Options(port) with { Connections = 2 }).RunAsync().WaitAsync(_bound);

        Assert.Equal(2, result.ConnectErrors);
        Assert.False(result.Succeeded);
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
