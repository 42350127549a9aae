using System.Globalization;
using PluggableNet.Bench.Driver;

namespace PluggableNet.Bench.Tests;

/// <summary>The C baseline server (built by the driver's <see cref="CBaseline"/> with cc -O2) on a free loopback port.</summary>
internal sealed class CBaselineProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private CBaselineProcess(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static async Task<CBaselineProcess> StartAsync(string framing = "ascii5", long maxPayload = 1024 * 1024)
    {
        var port = FreePort.Next();
        var process = ChildProcess.Start(CBaseline.Build().Server, [port.ToString(CultureInfo.InvariantCulture), framing, maxPayload.ToString(CultureInfo.InvariantCulture)]);
        try
        {
            await process.WaitForOutputAsync($"listening {port}", TimeSpan.FromSeconds(10));
            return new CBaselineProcess(process, port);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
