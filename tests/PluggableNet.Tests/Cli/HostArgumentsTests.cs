using PluggableNet.Host.Cli;

namespace PluggableNet.Tests.Cli;

/// <summary>The one split of a command line into config file, pidfile and overrides, as the host's parser sees it.</summary>
public sealed class HostArgumentsTests
{
    private static readonly KeyValuePair<string, string>[] s_both = [new("Server:Port", "19090"), new("Server:Address", "127.0.0.1")];

    [Theory]
    [InlineData("--config live.json --Server:Port=19090 --Server:Address=127.0.0.1")]
    [InlineData("--Server:Port=19090 --config live.json --Server:Address=127.0.0.1")]
    [InlineData("--Server:Port=19090 --Server:Address=127.0.0.1 --config live.json")]
    [InlineData("--config=live.json --Server:Port=19090 --Server:Address=127.0.0.1")]
    [InlineData("--Server:Port=19090 --config=live.json --Server:Address=127.0.0.1")]
    [InlineData("--Server:Port=19090 --Server:Address=127.0.0.1 --config=live.json")]
    [InlineData("run --Server:Port 19090 --config live.json --Server:Address 127.0.0.1")]
    [InlineData("start --timeout 5 --Server:Port=19090 --config=live.json --Server:Address 127.0.0.1")]
    public void ConfigFileNeverTakesAnOverrideWithIt(string commandLine)
    {
        var arguments = Parse(commandLine);

        Assert.Equal(Path.GetFullPath("live.json"), arguments.ConfigFile);
        Assert.Equal(s_both, arguments.Overrides);
    }

    [Fact]
    public void ValueMayContainEqualsOrLookLikeAnOption()
    {
        var arguments = Parse("--Plugins:Upper:Suffix=a=b --Plugins:Upper:Prefix --x");

        Assert.Equal([new("Plugins:Upper:Suffix", "a=b"), new("Plugins:Upper:Prefix", "--x")], arguments.Overrides);
    }

    [Fact]
    public void PidFileIsTheLastServicePidFile()
    {
        var arguments = Parse("--pidfile run/p.pid --Service:PidFile=/elsewhere.pid");

        Assert.Equal(Path.GetFullPath("run/p.pid"), arguments.PidFile);
        Assert.Equal(new KeyValuePair<string, string>("Service:PidFile", Path.GetFullPath("run/p.pid")), arguments.ConfigurationOverrides.Last());
        Assert.Equal(Path.GetFullPath("run/p.pid"), arguments.BuildConfiguration()["Service:PidFile"]);
    }

    [Fact]
    public void PidFileTakesTheEqualsFormToo()
    {
        var arguments = Parse("status --pidfile=p.pid --Server:Port=1");

        Assert.Equal(Path.GetFullPath("p.pid"), arguments.PidFile);
        Assert.Equal([new("Server:Port", "1")], arguments.Overrides);
    }

    [Fact]
    public void LaterOverrideOfTheSameKeyWins()
    {
        var configuration = Parse("--Server:Port=1 --server:port=2").BuildConfiguration();

        Assert.Equal("2", configuration["Server:Port"]);
    }

    [Fact]
    public void OverridesWinOverTheConfigFile()
    {
        var directory = Infrastructure.TestPaths.NewTempDirectory();
        try
        {
            var file = Path.Combine(directory, "live.json");
            File.WriteAllText(file, """{ "Server": { "Port": 9999, "Address": "10.0.0.1" } }""");

            var configuration = Parse($"--Server:Port=19090 --config {file}").BuildConfiguration();

            Assert.Equal("19090", configuration["Server:Port"]);
            Assert.Equal("10.0.0.1", configuration["Server:Address"]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void CommandLineRoundTripsThroughTheParser()
    {
        var original = Parse("--Server:Port 0 --config=a.json --Logic:Plugin=Upper --pidfile p.pid --X:Y=1=2");

        var again = Parse("run " + string.Join(' ', original.ToCommandLine()));

        Assert.Equal(original.ConfigFile, again.ConfigFile);
        Assert.Equal(original.PidFile, again.PidFile);
        Assert.Equal(original.Overrides, again.Overrides);
    }

    [Theory]
    [InlineData("--confg live.json", "Unrecognized option '--confg'")]
    [InlineData("stop --forse", "Unrecognized option '--forse'")]
    [InlineData("status --timeout 5", "Unrecognized option '--timeout'")]
    [InlineData("--Server:Port=1 live.json", "Unexpected argument 'live.json'")]
    [InlineData("--Server:Port", "Configuration override '--Server:Port' has no value.")]
    [InlineData("--:Port=1", "Unrecognized option '--:Port=1'")]
    public void AnythingElseIsAnErrorNamingIt(string commandLine, string message)
    {
        var arguments = ServiceCli.Arguments(ServiceCli.Parse(commandLine.Split(' ')), out var error);

        Assert.Null(arguments);
        Assert.NotNull(error);
        Assert.StartsWith(message, error, StringComparison.Ordinal);
    }

    private static HostArguments Parse(string commandLine)
    {
        var arguments = ServiceCli.Arguments(ServiceCli.Parse(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)), out var error);
        Assert.True(arguments is not null, error);
        return arguments;
    }
}
