using System.Diagnostics;
using System.Net;
using PluggableNet.Host.Configuration;
using PluggableNet.Host.Control;
using PluggableNet.Host.Os;
using PluggableNet.Host.Telemetry;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Reload;
using PluggableNet.Testing;
using PluggableNet.Tests.Infrastructure;
using Serilog.Events;
using Xunit.Abstractions;

namespace PluggableNet.Tests.Hardening;

/// <summary>
/// A peer controls how often the server has something to say about it, so its misbehaviour is logged as rates, and
/// no log sink, however stuck, ever delays an answer to anyone.
/// </summary>
public sealed class LogFloodTests(ITestOutputHelper output)
{
    private const int Offenders = 300;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task ABadHeaderFloodIsLoggedAsRatesNotLineByLine(string transport)
    {
        await using var server = TestServer.Start(transport);
        using var bystander = server.Connect();
        var watch = Stopwatch.StartNew();

        await FloodWithBadHeadersAsync(server.EndPoint, Offenders);
        Assert.Equal("cba", await bystander.AskAsync("abc"));

        // Every offence is accounted for, in a handful of lines: the full ones (one a second) plus the summaries.
        await Wait.UntilAsync(() => FullLines(server.Log) + SummedUp(server.Log) == Offenders, because: "all bad headers counted");
        var full = FullLines(server.Log);
        output.WriteLine($"{transport}: {Offenders} bad headers in {watch.Elapsed.TotalSeconds:F1} s → {full} full line(s), {SummedUp(server.Log)} summed up");
        Assert.InRange(full, 1, (int)Math.Ceiling(watch.Elapsed.TotalSeconds) + 1);
        Assert.DoesNotContain(server.Log.Events, e => e.Level >= LogEventLevel.Warning && LogCapture.Render(e).Contains("invalid frame header", StringComparison.Ordinal));
        Assert.Equal(Offenders, server.Server.Metrics.ProtocolErrors);
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AStuckLogSinkDelaysNoAnswer(string transport)
    {
        var directory = TestPaths.NewTempDirectory();
        var control = Path.Combine(directory, "control.sock");

        // Standard output is a pipe that nobody reads, as with a stalled journald or Docker's blocking log mode; Debug
        // logging fills it within the first few hundred connections.
        var info = new ProcessStartInfo(ChildProcess.Dotnet)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = TestPaths.HostOutput,
        };
        foreach (var argument in new[]
        {
            TestPaths.HostDll, "run", "--Server:Address=127.0.0.1", "--Server:Port=0", $"--Server:Transport={transport}",
            $"--Control:Socket={control}", "--Logic:HotReload=false", "--Serilog:MinimumLevel:Default=Debug",
        })
        {
            info.ArgumentList.Add(argument);
        }

        using var host = Process.Start(info)!;
        try
        {
            ServerStatus? status = null;
            await Wait.UntilAsync(async () => (status = await ControlChannel.QueryAsync(control, TimeSpan.FromSeconds(1))) is not null, TimeSpan.FromSeconds(30), "the host to answer status");
            var endPoint = new IPEndPoint(IPAddress.Loopback, status!.Port);
            using var bystander = FrameClient.Connect(endPoint);
            Assert.Equal("cba", await bystander.AskAsync("abc"));

            using var stop = new CancellationTokenSource();
            var flood = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await FloodWithBadHeadersAsync(endPoint, 100);
                }
            });

            var latencies = new List<double>();
            for (var i = 0; i < 100; i++)
            {
                var watch = Stopwatch.StartNew();
                Assert.Equal("cba", await bystander.AskAsync("abc"));
                latencies.Add(watch.Elapsed.TotalMilliseconds);
                await Task.Delay(10);
            }

            await stop.CancelAsync();
            await flood;
            latencies.Sort();
            var p95 = latencies[94];
            output.WriteLine($"{transport}: 100 answers during the flood with stdout blocked: median {latencies[49]:F1} ms, p95 {p95:F1} ms, max {latencies[^1]:F1} ms");
            Assert.True(p95 < 100, $"p95 {p95:F1} ms");
            Assert.True(latencies[^1] < 2000, $"max {latencies[^1]:F1} ms");

            // The sink really was stuck: once someone reads the pipe, the host says how many events it dropped.
            var reader = Task.Run(async () =>
            {
                string? line;
                while ((line = await host.StandardOutput.ReadLineAsync()) is not null)
                {
                    if (line.Contains("log event(s): the log sinks are not keeping up", StringComparison.Ordinal))
                    {
                        return true;
                    }
                }

                return false;
            });
            Assert.True(await reader.WaitAsync(TimeSpan.FromSeconds(30)), "no report of dropped log events");
        }
        finally
        {
            host.Kill(entireProcessTree: true);
            await host.WaitForExitAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task FloodWithBadHeadersAsync(IPEndPoint endPoint, int count)
    {
        for (var batch = 0; batch < count; batch += 50)
        {
            await Task.WhenAll(Enumerable.Range(0, Math.Min(50, count - batch)).Select(async _ =>
            {
                using var offender = FrameClient.Connect(endPoint);
                await offender.SendRawAsync("+0005hello");
                Assert.True(await offender.WaitForCloseAsync());
            }));
        }
    }

    private static int FullLines(LogCapture log) =>
        log.Events.Count(e => LogCapture.Render(e).Contains("invalid frame header (not all digits", StringComparison.Ordinal));

    private static int SummedUp(LogCapture log) => log.Events
        .Where(e => e.MessageTemplate.Text.Contains("more connection event(s)", StringComparison.Ordinal)
            && e.Properties["Kind"] is ScalarValue { Value: "HeaderNotDigits" })
        .Sum(e => Convert.ToInt32(((ScalarValue)e.Properties["Count"]).Value, System.Globalization.CultureInfo.InvariantCulture));
}
