using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PluggableNet.Tests.Infrastructure;
using Xunit.Abstractions;
using static PluggableNet.Tests.Hardening.Misbehavior;

namespace PluggableNet.Tests.Hardening;

/// <summary>
/// The chaos test against a real host process whose open-files limit the attackers exhaust (<c>prlimit
/// --nofile=N:N</c>, so the host cannot raise it), while announced-length attackers, log flooders and garbage keep
/// coming: the well-behaved clients connected before see every answer, the host stays up, and once the attack stops
/// it serves new connections again.
/// </summary>
public sealed class ChaosUnderDescriptorExhaustionTests(ITestOutputHelper output)
{
    private const int OpenFiles = 256;
    private const int HogConnections = 400;
    private static readonly TimeSpan s_duration = TimeSpan.FromSeconds(6);

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task WellBehavedClientsKeepTheirAnswersWhileAttackersExhaustTheDescriptors(string transport)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // Limits long enough that a well-behaved client stalled by a busy machine is not taken for a slow one (the
        // in-process chaos test covers slowloris and idlers); the attack here is on descriptors.
        await using var host = await RunningHost.StartAsync(
            transport,
            ["--Serilog:MinimumLevel:Default=Debug", "--Server:Backlog=1024", "--Limits:ReadTimeout=5", "--Limits:IdleTimeout=5"],
            (OpenFiles, OpenFiles));
        var endPoint = host.EndPoint;
        var clients = Enumerable.Range(0, 4).Select(_ => host.Connect()).ToList();
        foreach (var client in clients)
        {
            Assert.Equal("cba", await client.AskAsync("abc"));
        }

        using var stop = new CancellationTokenSource(s_duration);
        var watch = Stopwatch.StartNew();
        var wellBehaved = clients.Select((client, i) => WellBehavedAsync(client, i, stop.Token)).ToList();
        var attackers = new List<Task<int>>
        {
            RepeatAsync(stop.Token, () => HogDescriptorsAsync(endPoint, stop.Token)),
            RepeatAsync(stop.Token, () => Tolerant(() => AnnouncerAsync(endPoint))),
            RepeatAsync(stop.Token, () => Tolerant(() => AnnouncerAsync(endPoint))),
            RepeatAsync(stop.Token, () => Tolerant(() => LogFlooderAsync(endPoint))),
            RepeatAsync(stop.Token, () => Tolerant(() => GarbageAsync(endPoint, 3))),
        };

        var ports = clients.Select(c => ((IPEndPoint)c.Socket.LocalEndPoint!).Port.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        int[] answers;
        try
        {
            answers = await Task.WhenAll(wellBehaved);
        }
        catch (Exception exception) when (exception is EndOfStreamException or SocketException or IOException or OperationCanceledException)
        {
            // What the host said about the well-behaved clients' connections.
            var lines = host.Process.Output.Split('\n').Where(l => ports.Any(p => l.Contains(":" + p + " ", StringComparison.Ordinal) || l.Contains(":" + p + ")", StringComparison.Ordinal)));
            throw new Xunit.Sdk.XunitException($"a well-behaved client failed: {exception.Message}; host on its connections: {string.Join(" | ", lines)}");
        }

        var mischief = await Task.WhenAll(attackers);
        output.WriteLine($"{transport}: {answers.Sum()} answers verified by {clients.Count} clients in {watch.Elapsed} at an open-files limit of {OpenFiles}; attacks: {string.Join(", ", mischief)}");

        Assert.All(answers, count => Assert.True(count > 0));
        Assert.False(host.Process.HasExited, $"the host died: {host.Process.Output}{host.Process.Error}");
        await Wait.UntilAsync(() => ServedAsync(host), TimeSpan.FromSeconds(15), $"a new connection served once the attack stopped; {host.Process.Error}");
        Assert.DoesNotContain("Unhandled exception", host.Process.Output + host.Process.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Out of memory", host.Process.Output + host.Process.Error, StringComparison.Ordinal);
    }

    /// <summary>Opens more connections than the host has descriptors, each with a request it never reads, then lets go.</summary>
    private static async Task HogDescriptorsAsync(IPEndPoint endPoint, CancellationToken stop)
    {
        var sockets = new List<Socket>(HogConnections);
        var frame = "00004hogs"u8.ToArray();
        try
        {
            for (var i = 0; i < HogConnections && !stop.IsCancellationRequested; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                    await socket.ConnectAsync(endPoint, timeout.Token);
                    await socket.SendAsync(frame, SocketFlags.None, timeout.Token);
                    sockets.Add(socket);
                }
                catch (Exception exception) when (exception is SocketException or OperationCanceledException)
                {
                    // Refused, reset or left in a full backlog: the host decides, the hog goes on.
                    socket.Dispose();
                }
            }

            // Held for a moment at the limit, so the well-behaved clients are served while the host has no descriptor left.
            await Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>An attacker whose connect fails while the host is out of descriptors just tries again.</summary>
    private static async Task Tolerant(Func<Task> attack)
    {
        try
        {
            await attack().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException or TimeoutException or IOException)
        {
            // Refused or stalled in a full backlog: expected at the limit.
        }
    }

    private static async Task<bool> ServedAsync(RunningHost host)
    {
        try
        {
            using var client = host.Connect();
            await client.SendAsync("ping");
            return await client.ReadStringAsync(TimeSpan.FromSeconds(1)) == "gnip";
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException or EndOfStreamException or IOException)
        {
            return false;
        }
    }
}
