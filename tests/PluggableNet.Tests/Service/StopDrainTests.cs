using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Service;

public sealed class StopDrainTests
{
    // Serialised through one semaphore so 100 requests take about 2 s: most are still queued when SIGTERM arrives.
    private const string SlowPlugin = """
        using System;
        using System.Buffers;
        using System.Threading;
        using System.Threading.Tasks;

        public sealed class SlowPlugin : PluggableNet.ILogicPlugin
        {
            private static readonly SemaphoreSlim s_one = new(1, 1);

            public PluggableNet.PluginExecution Execution => PluggableNet.PluginExecution.Offloaded;

            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer) => answer.Write(request);

            public async ValueTask ProcessAsync(ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, CancellationToken cancellationToken)
            {
                await s_one.WaitAsync();
                try
                {
                    await Task.Delay(20);
                }
                finally
                {
                    s_one.Release();
                }

                answer.Write(request.Span);
            }
        }
        """;

    [LinuxFact]
    public async Task StopAnswersRequestsInFlightBeforeTheProcessExits()
    {
        const int requests = 100;
        await using var sandbox = new ServiceSandbox();
        var plugins = Path.Combine(sandbox.Directory, "plugins");
        PluginCompiler.Build(plugins, "Slow", SlowPlugin);
        var start = await sandbox.RunAsync("start", $"--Logic:PluginsPath={plugins}", "--Logic:Plugin=Slow");
        Assert.True(start.ExitCode == 0, start.ToString());
        var pid = sandbox.ReadPid()!.Value;

        using var client = FrameClient.Connect(await sandbox.EndPointAsync());
        var pipelined = Enumerable.Range(0, requests).SelectMany(i => client.Frame(System.Text.Encoding.ASCII.GetBytes($"request-{i:D4}"))).ToArray();
        await client.SendRawAsync(pipelined);
        Assert.Equal("request-0000", await client.ReadStringAsync());

        var stop = HostProcess.RunAsync(sandbox.Args("stop"));
        for (var i = 1; i < requests; i++)
        {
            Assert.Equal($"request-{i:D4}", await client.ReadStringAsync());
        }

        Assert.True(await client.WaitForCloseAsync(), "the host closes the drained connection");
        var stopped = await stop;
        Assert.True(stopped.ExitCode == 0, stopped.ToString());
        Assert.False(ServiceSandbox.IsAlive(pid));
        Assert.False(File.Exists(sandbox.PidFile));
        Assert.Contains("draining 1 connection(s)", sandbox.Log, StringComparison.Ordinal);
        Assert.Contains("Stopped: 1 connection(s) drained, 0 cut", sandbox.Log, StringComparison.Ordinal);
    }
}
