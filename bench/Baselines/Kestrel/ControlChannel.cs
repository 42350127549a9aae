using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PluggableNet.Baselines.Kestrel;

/// <summary>
/// The PluggableNet control contract on a Unix domain socket: a client sends <c>status\n</c> and reads one
/// JSON line with <c>pid</c>, <c>connections</c>, <c>requests</c>, <c>allocatedBytes</c>, <c>plugin</c>,
/// <c>pluginVersion</c>. Lets the bench driver read the baseline's allocations exactly as the host's.
/// </summary>
internal sealed class ControlChannel : BackgroundService
{
    private readonly string? _path;
    private readonly ServerCounters _counters;
    private readonly ILogger<ControlChannel> _logger;

    public ControlChannel(BaselineOptions options, ServerCounters counters, ILogger<ControlChannel> logger)
    {
        _path = options.ControlSocket;
        _counters = counters;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrWhiteSpace(_path))
        {
            return;
        }

        // A socket file left by a killed run would make bind fail.
        File.Delete(_path);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(_path));
        listener.Listen(16);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var client = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
                _ = ServeAsync(client, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            File.Delete(_path);
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken stoppingToken)
    {
        using (client)
        await using (var stream = new NetworkStream(client, ownsSocket: false))
        using (var reader = new StreamReader(stream, Encoding.ASCII))
        {
            try
            {
                string? line;
                while ((line = await reader.ReadLineAsync(stoppingToken).ConfigureAwait(false)) is not null)
                {
                    var answer = line.Trim().Equals("status", StringComparison.OrdinalIgnoreCase)
                        ? StatusJson()
                        : "{\"error\":\"unknown command\"}";
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(answer + "\n"), stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                _logger.LogDebug(ex, "Control client dropped.");
            }
        }
    }

    private string StatusJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("pid", Environment.ProcessId);
            json.WriteNumber("connections", _counters.Connections);
            json.WriteNumber("requests", _counters.Requests);
            json.WriteNumber("allocatedBytes", GC.GetTotalAllocatedBytes(false));
            json.WriteString("plugin", "Reverse");
            json.WriteString("pluginVersion", "kestrel-baseline");
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
