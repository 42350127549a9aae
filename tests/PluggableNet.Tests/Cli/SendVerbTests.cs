using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PluggableNet.Tests.Hardening;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Cli;

/// <summary>The <c>send</c> verb, run as the real process an operator types, against a real host.</summary>
public sealed class SendVerbTests
{
    [Fact]
    public async Task SendPrintsTheAnswer()
    {
        await using var server = TestServer.Start("Sockets");

        var result = await HostProcess.RunAsync(["send", Address(server), "abcde"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("edcba\n", result.Output);
    }

    [Fact]
    public async Task SendSpeaksTlsTrustingAPrivateCa()
    {
        using var files = new TlsFolder();
        files.WritePem("server", "localhost");
        await using var server = TestServer.Start("Sockets", files.Settings("server"));
        var ca = files.WriteAuthority();

        var result = await HostProcess.RunAsync(["send", Address(server), "hello", "--tls", "--tls-host", "localhost", "--tls-ca", ca, "--protocol", "v2"]);
        var untrusted = await HostProcess.RunAsync(["send", Address(server), "hello", "--tls", "--tls-host", "localhost"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("olleh\n", result.Output);
        Assert.True(untrusted.ExitCode == 1, untrusted.ToString());
        Assert.Contains("TLS handshake failed", untrusted.All, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("UInt32BigEndian", "5", "--framing", "UInt32BigEndian")]
    [InlineData("UInt32BigEndian", "5", "--framing", "uint32bigendian")]
    [InlineData("AsciiDecimal", "5", "--framing", "asciidecimal")]
    [InlineData("AsciiDecimal", "10", "--header-digits", "10")]
    public async Task FramingOptionsMatchTheHost(string kind, string digits, string option, string value)
    {
        await using var server = TestServer.Start("Sockets", ("Framing:Kind", kind), ("Framing:HeaderDigits", digits));

        var result = await HostProcess.RunAsync(["send", Address(server), "hello", option, value]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("olleh\n", result.Output);
        Assert.Equal(string.Empty, result.Error);
    }

    [Theory]
    [InlineData("UInt32BigEndian", "binary")]
    [InlineData("AsciiDecimal", "ascii")]
    public async Task TheOldFramingNamesStillWorkWithADeprecationWarning(string kind, string oldName)
    {
        await using var server = TestServer.Start("Sockets", ("Framing:Kind", kind));

        var result = await HostProcess.RunAsync(["send", Address(server), "hello", "--framing", oldName]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("olleh\n", result.Output);
        Assert.Equal($"send: warning: --framing {oldName} is deprecated; use --framing {kind} (the name Framing:Kind uses).", result.Error.Trim());
    }

    [Fact]
    public async Task CountAndConcurrencyRunALoadCheckWithProgressAndSummary()
    {
        // 200 requests of 20 ms from 2 callers: about 2 s, so the progress line (once a second) shows.
        await using var server = HardeningPlugins.Start("Sockets", HardeningPlugins.Slow);

        var result = await HostProcess.RunAsync(["send", Address(server), "sleep:20", "--count", "200", "--concurrency", "2"], TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"^requests 200, answered 200, failed 0, \d+ req/s, p50 \d+\.\d{3} ms, p99 \d+\.\d{3} ms, \d+\.\d{2} s, resent 0, retried 0\n$", result.Output);
        Assert.Matches(@"sent \d+/200, 0 failed, \d+ req/s", result.Error);
        Assert.True(server.Server.Status().Requests >= 200);
    }

    [Theory]
    [InlineData("v2")]
    [InlineData("V2")]
    public async Task ProtocolV2PrintsTheAnswer(string protocol)
    {
        await using var server = TestServer.Start("Sockets");

        var result = await HostProcess.RunAsync(["send", Address(server), "abcde", "--protocol", protocol]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("edcba\n", result.Output);
        Assert.Equal(1, server.Server.Status().V2Connections);
    }

    [Fact]
    public async Task WithoutProtocolTheVerbSpeaksV1TheLibrarysDefault()
    {
        await using var server = TestServer.Start("Sockets");

        var result = await HostProcess.RunAsync(["send", Address(server), "abcde"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(0, server.Server.Status().V2Connections);
    }

    [Fact]
    public async Task ProtocolV2LoadCheckSummarises()
    {
        await using var server = TestServer.Start("Sockets");

        var result = await HostProcess.RunAsync(["send", Address(server), "hello", "--protocol", "v2", "--count", "500", "--concurrency", "8"], TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"^requests 500, answered 500, failed 0, ", result.Output);
        Assert.Equal(500, server.Server.Status().Requests);
    }

    [Fact]
    public async Task APluginFaultOverV2IsExit1WithTheErrorCode()
    {
        await using var server = HardeningPlugins.Start("Sockets", HardeningPlugins.Faulty);

        var result = await HostProcess.RunAsync(["send", Address(server), "throw", "--protocol", "v2"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("PluginFault", result.Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Output);
    }

    [Fact]
    public async Task ProtocolV2ToAHostThatRefusesItIsExit1NamingTheFix()
    {
        await using var server = TestServer.Start("Sockets", ("Framing:AllowV2", "false"));

        var result = await HostProcess.RunAsync(["send", Address(server), "abcde", "--protocol", "v2"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("does not speak protocol v2", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableHostFailsWithExit1AndTheReason()
    {
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        var result = await HostProcess.RunAsync(["send", closed.LocalEndPoint!.ToString()!, "abcde"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Connection refused", result.Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Output);
    }

    [Theory]
    [InlineData("--framing", "xml", "xml")]
    [InlineData("--framing", "1", "'1' is not a framing kind")]
    [InlineData("--count", "0", "--count")]
    [InlineData("--confg", "x", "--confg")]
    [InlineData("--header-digits", "11", "--header-digits")]
    [InlineData("--protocol", "v3", "--protocol: 'v3' is not a protocol")]
    [InlineData("--protocol", "1", "--protocol: '1' is not a protocol")]
    public async Task BadCommandLineIsExit2NamingTheProblem(string option, string value, string named)
    {
        var result = await HostProcess.RunAsync(["send", "127.0.0.1:9", "abcde", option, value]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(named, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadEndpointIsExit2NamingIt()
    {
        var result = await HostProcess.RunAsync(["send", "localhost", "abcde"]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("'localhost' is not host:port", result.Error, StringComparison.Ordinal);
    }

    private static string Address(TestServer server) => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{server.EndPoint.Port}");
}
