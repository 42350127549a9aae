using System.Net;
using PluggableNet.Tests.Cli;
using PluggableNet.Tests.Infrastructure;
using PluggableNet.Tests.Service;

namespace PluggableNet.Tests.Hardening;

/// <summary>Issue 10, point 15: a plugin that takes the process down leaves a fatal line in the log, and a failing exit code.</summary>
public sealed class UnexpectedExitTests : IDisposable
{
    private const string Source = """
        using System;
        using System.Buffers;
        using System.Threading;
        using PluggableNet;

        public sealed class CrashPlugin : ILogicPlugin
        {
            public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
            {
                if (request.SequenceEqual("exit"u8))
                {
                    Environment.Exit(0);
                }

                if (request.SequenceEqual("throw"u8))
                {
                    new Thread(() => throw new InvalidOperationException("boom on the plugin's own thread")).Start();
                }

                answer.Write(request);
            }
        }
        """;

    private readonly string _plugins = PluginCompiler.BuildInNewDirectory("Crash", Source);

    [LinuxFact]
    public async Task EnvironmentExitInAPluginIsLoggedAsFatalAndExitsNonZero()
    {
        var result = await CrashAsync("exit");

        Assert.True(result.ExitCode == 70, result.ToString());
        Assert.Contains("FTL] The process is exiting with code 0 although the host was not stopped", result.Output, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task AnExceptionOnAPluginThreadIsLoggedAsFatalWithItsReason()
    {
        var result = await CrashAsync("throw");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("FTL] Unhandled exception on thread", result.Output, StringComparison.Ordinal);
        Assert.Contains("boom on the plugin's own thread", result.Output, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task TheDaemonsFatalLineReachesItsLogFile()
    {
        await using var sandbox = new ServiceSandbox();
        var started = await sandbox.RunAsync("start", $"--Logic:PluginsPath={_plugins}", "--Logic:Plugin=Crash");
        Assert.True(started.ExitCode == 0, started.ToString());
        var pid = sandbox.ReadPid() ?? throw new InvalidOperationException("no pid after start");
        var endPoint = await sandbox.EndPointAsync();

        using (var client = FrameClient.Connect(endPoint))
        {
            await client.SendAsync("throw");
            await Wait.UntilAsync(() => !ServiceSandbox.IsAlive(pid), TimeSpan.FromSeconds(20), "the daemon dies");
        }

        Assert.Contains("FTL] Unhandled exception on thread", sandbox.Log, StringComparison.Ordinal);
        Assert.Contains("boom on the plugin's own thread", sandbox.Log, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_plugins, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }

    private async Task<HostResult> CrashAsync(string request)
    {
        var (host, line) = await CliSandbox.StartForegroundAsync(
            ["--Server:Address=127.0.0.1", "--Server:Port=0", $"--Logic:PluginsPath={_plugins}", "--Logic:Plugin=Crash"]);
        await using (host)
        {
            Assert.Equal("ok", await HostAnswers.AskAsync(line.Port, "ok"));
            using var client = FrameClient.Connect(new IPEndPoint(IPAddress.Loopback, line.Port));
            await client.SendAsync(request);
            return await host.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }}
