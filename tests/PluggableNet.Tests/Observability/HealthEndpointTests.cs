using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Observability;

/// <summary>
/// <c>/healthz</c> and <c>/readyz</c> of the real host process, through a start whose plugin takes seconds to load and
/// a graceful stop with <c>Health:DrainDelay</c>: what a balancer or Kubernetes sees.
/// </summary>
public sealed class HealthEndpointTests
{
    // Its constructor takes 3 s, as a plugin warming a cache does: long enough to see the host not ready yet.
    private const string SlowStartPlugin = """
        using System;
        using System.Buffers;
        using System.Threading;

        public sealed class SlowStartPlugin : PluggableNet.ILogicPlugin
        {
            public SlowStartPlugin() => Thread.Sleep(3000);

            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer) => answer.Write(request);
        }
        """;

    [LinuxFact]
    public async Task ReadyOnlyOnceServingAndNotReadyThroughTheDrainDelayWhileStillServing()
    {
        var plugins = PluginCompiler.BuildInNewDirectory("SlowStart", SlowStartPlugin);
        var healthPort = FreePort.Next();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{healthPort}"), Timeout = TimeSpan.FromSeconds(5) };
        await using var host = HostProcess.Start(
        [
            "--Server:Address=127.0.0.1", "--Server:Port=0", "--Logic:HotReload=false",
            $"--Logic:PluginsPath={plugins}", "--Logic:Plugin=SlowStart",
            $"--Health:Endpoint=http://127.0.0.1:{healthPort}/", "--Health:DrainDelay=3",
        ]);
        try
        {
            // Before the plugin is loaded: live (the process runs) but not ready.
            HttpResponseMessage? early = null;
            await Wait.UntilAsync(async () => (early = await TryGetAsync(http, "/readyz")) is not null, TimeSpan.FromSeconds(20), $"the health listener; output: {host.Output}{host.Error}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, early!.StatusCode);
            Assert.Equal("starting\n", await early.Content.ReadAsStringAsync());
            Assert.Null(ListeningLine.Find(host.Output));
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);

            ListeningLine? line = null;
            await Wait.UntilAsync(() => (line = ListeningLine.Find(host.Output)) is not null, TimeSpan.FromSeconds(20), $"listening line; got: {host.Output}{host.Error}");
            var endPoint = new IPEndPoint(IPAddress.Loopback, line!.Port);
            await Wait.UntilAsync(async () => (await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, because: "ready once serving");
            using (var client = FrameClient.Connect(endPoint))
            {
                Assert.Equal("ping", await client.AskAsync("ping"));
            }

            // SIGTERM: not ready at once, but the listener still takes and serves new connections for the delay.
            Assert.Equal(0, kill(host.Id, 15));
            var signalled = Stopwatch.StartNew();
            await Wait.UntilAsync(async () => (await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.ServiceUnavailable, because: "not ready once stopping");
            Assert.Equal("draining\n", await (await http.GetAsync("/readyz")).Content.ReadAsStringAsync());
            using (var late = FrameClient.Connect(endPoint))
            {
                Assert.Equal("still served", await late.AskAsync("still served"));
            }

            Assert.True(signalled.Elapsed < TimeSpan.FromSeconds(3), $"the checks took {signalled.Elapsed}, past the drain delay: the test proves nothing");
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);

            // After the delay the listener closes; health answers until the process is gone.
            await Wait.UntilAsync(() => !CanConnect(endPoint), TimeSpan.FromSeconds(15), "the listener to close after the drain delay");
            Assert.True(signalled.Elapsed >= TimeSpan.FromSeconds(2.9), $"the listener closed {signalled.Elapsed} after SIGTERM, before Health:DrainDelay");
            var result = await host.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains("Health:DrainDelay", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(plugins, recursive: true);
        }
    }

    private static async Task<HttpResponseMessage?> TryGetAsync(HttpClient http, string path)
    {
        try
        {
            return await http.GetAsync(path);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static bool CanConnect(IPEndPoint endPoint)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(endPoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
