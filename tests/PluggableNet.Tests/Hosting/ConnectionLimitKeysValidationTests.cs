using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hosting;

/// <summary>
/// The per-address and keep-alive keys as an operator meets them: the real host started with bad values stops with
/// exit code 2 and one message naming every bad key by its full path.
/// </summary>
public sealed class ConnectionLimitKeysValidationTests
{
    [Fact]
    public async Task BadValuesStopTheHostNamingEachKey()
    {
        var result = await HostProcess.RunAsync(
            [
                "--Server:Address=127.0.0.1",
                "--Server:Port=0",
                "--Limits:MaxConnectionsPerAddress=-1",
                "--Limits:AcceptRatePerAddress=fast",
                "--Limits:AcceptBurstPerAddress=0",
                "--Limits:TcpKeepAliveTime=1.5",
                "--Limits:TcpKeepAliveInterval=40000",
                "--Limits:TcpKeepAliveCount=128",
            ],
            TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("Limits:MaxConnectionsPerAddress: '-1' is not a whole number from 0 to 10000000.", result.All, StringComparison.Ordinal);
        Assert.Contains("Limits:AcceptRatePerAddress: 'fast' is not a whole number from 0 to 1000000.", result.All, StringComparison.Ordinal);
        Assert.Contains("Limits:AcceptBurstPerAddress: '0' is not a whole number from 1 to 1000000.", result.All, StringComparison.Ordinal);
        Assert.Contains("Limits:TcpKeepAliveTime: '1.5' is not a whole number of seconds from 0 to 32767.", result.All, StringComparison.Ordinal);
        Assert.Contains("Limits:TcpKeepAliveInterval: '40000' is not a whole number of seconds from 0 to 32767.", result.All, StringComparison.Ordinal);
        Assert.Contains("Limits:TcpKeepAliveCount: '128' is not a whole number from 0 to 127.", result.All, StringComparison.Ordinal);
        Assert.DoesNotContain("listening on", result.All, StringComparison.Ordinal);
    }
}
