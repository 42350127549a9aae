using System.Globalization;

namespace PluggableNet.Bench.Tests;

/// <summary>The Kestrel baseline as a child process on a port it picks itself (port 0). Dispose kills it.</summary>
internal sealed class KestrelBaselineProcess : IDisposable
{
    private const string Marker = "listening on 127.0.0.1:";

    private readonly ChildProcess _process;

    private KestrelBaselineProcess(ChildProcess process, int port, string controlSocket)
    {
        _process = process;
        Port = port;
        ControlSocket = controlSocket;
    }

    public int Port { get; }

    public string ControlSocket { get; }

    public int Pid => _process.Id;

    public static async Task<KestrelBaselineProcess> StartAsync(TimeSpan timeout)
    {
        Assert.True(File.Exists(TestPaths.KestrelBaselineDll), $"not built: {TestPaths.KestrelBaselineDll}");
        var controlSocket = Path.Combine(Path.GetTempPath(), $"pn-bench-test-{Guid.NewGuid():N}.sock");
        var process = ChildProcess.StartDotnet(TestPaths.KestrelBaselineDll, ["--port", "0", $"--Control:Socket={controlSocket}"]);
        try
        {
            var line = await process.WaitForLineAsync(l => l.StartsWith(Marker, StringComparison.Ordinal), timeout);
            return new KestrelBaselineProcess(process, int.Parse(line[Marker.Length..], CultureInfo.InvariantCulture), controlSocket);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _process.Dispose();
        File.Delete(ControlSocket);
    }
}
