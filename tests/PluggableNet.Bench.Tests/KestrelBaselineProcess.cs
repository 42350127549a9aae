using System.Diagnostics;
using System.Globalization;

namespace PluggableNet.Bench.Tests;

/// <summary>The Kestrel baseline as a child process on a port it picks itself (port 0). Dispose kills it.</summary>
internal sealed class KestrelBaselineProcess : IDisposable
{
    private const string Marker = "listening on 127.0.0.1:";

    private readonly Process _process;

    private KestrelBaselineProcess(Process process, int port, string controlSocket)
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
        var startInfo = new ProcessStartInfo(TestPaths.Dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(TestPaths.KestrelBaselineDll);
        startInfo.ArgumentList.Add("--port");
        startInfo.ArgumentList.Add("0");
        startInfo.ArgumentList.Add($"--Control:Socket={controlSocket}");

        var process = Process.Start(startInfo)!;
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.StartsWith(Marker, StringComparison.Ordinal))
            {
                listening.TrySetResult(int.Parse(line[Marker.Length..], CultureInfo.InvariantCulture));
            }
        };
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("The baseline exited before listening."));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            var port = await listening.Task.WaitAsync(timeout);
            return new KestrelBaselineProcess(process, port, controlSocket);
        }
        catch
        {
            Kill(process);
            process.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Kill(_process);
        _process.Dispose();
        File.Delete(ControlSocket);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
        }
    }
}
