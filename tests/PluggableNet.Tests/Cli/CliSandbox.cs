using System.Net;
using System.Net.Sockets;
using System.Text;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Cli;

/// <summary>
/// A temp folder with a configuration file <c>live.json</c> that names a port nothing listens on (so a lost
/// override shows as a host on the file's port), the bundled plugins, and helpers to run the real host against it.
/// </summary>
internal sealed class CliSandbox : IDisposable
{
    public CliSandbox(string address = "0.0.0.0", string plugin = "Reverse", string? extraJson = null)
    {
        Directory = TestPaths.NewTempDirectory("pnet-cli");
        FilePort = FreePort();
        ConfigFile = Path.Combine(Directory, "live.json");
        var extra = extraJson is null ? string.Empty : "," + extraJson;
        File.WriteAllText(ConfigFile, $$"""
            {
              "Server": { "Address": "{{address}}", "Port": {{FilePort}}, "ReactorThreads": 1 },
              "Logic": { "Plugin": "{{plugin}}" }{{extra}}
            }
            """);
    }

    public string Directory { get; }

    public string ConfigFile { get; }

    /// <summary>The port the configuration file asks for; a test that overrides it must never see it in use.</summary>
    public int FilePort { get; }

    /// <summary>A port that was free a moment ago (bound to 0, then released).</summary>
    public static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>Starts the host in the foreground and waits for its start-up line (or its exit).</summary>
    public static async Task<(HostProcess Host, ListeningLine Line)> StartForegroundAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var host = HostProcess.Start(arguments, environment);
        try
        {
            ListeningLine? line = null;
            await Wait.UntilAsync(
                () => (line = ListeningLine.Find(host.Output)) is not null || host.Output.Contains("Cannot start", StringComparison.Ordinal) || host.Error.Length > 0,
                TimeSpan.FromSeconds(30),
                "the host logs its start-up line");
            Assert.True(line is not null, $"no start-up line; stdout: {host.Output} stderr: {host.Error}");
            return (host, line);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Connects to the port the host really uses and checks the answer of the plugin it really serves.</summary>
    public static async Task AssertAnswersAsync(int port, string plugin)
    {
        var expected = plugin switch
        {
            "Reverse" => "00005edcba",
            "Upper" => "00005ABCDE",
            _ => throw new ArgumentException($"no known answer for plugin {plugin}", nameof(plugin)),
        };
        using var client = FrameClient.Connect(new IPEndPoint(IPAddress.Loopback, port));
        await client.SendRawAsync("00005abcde");
        var answer = new byte[expected.Length];
        var read = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (read < answer.Length)
        {
            var n = await client.Socket.ReceiveAsync(answer.AsMemory(read), SocketFlags.None, timeout.Token);
            Assert.True(n > 0, "the connection closed before the answer");
            read += n;
        }

        Assert.Equal(expected, Encoding.ASCII.GetString(answer));
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
