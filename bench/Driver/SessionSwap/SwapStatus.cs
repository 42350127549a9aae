using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace PluggableNet.Bench.Driver.SessionSwap;

/// <summary>
/// The host's <c>status</c> fields this benchmark reads (the session ones beside the swap ones), from the control
/// socket as <see cref="ControlClient"/> asks it: <c>status\n</c>, one JSON line back.
/// </summary>
internal sealed record SwapStatus(
    int Generation,
    int Swaps,
    int FailedSwaps,
    string? LastSwapError,
    long Connections,
    long ActiveSessions,
    long Migrations,
    long MigrationsRolledBack,
    double LastMigrationPauseMs,
    int RetiredGenerationsLoaded)
{
    /// <summary>The status, or null when the host does not answer within <paramref name="timeout"/>.</summary>
    public static SwapStatus? TryQuery(string path, TimeSpan timeout)
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            {
                SendTimeout = (int)timeout.TotalMilliseconds,
                ReceiveTimeout = (int)timeout.TotalMilliseconds,
            };
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send("status\n"u8);
            var line = new MemoryStream();
            var buffer = new byte[16 * 1024];
            while (true)
            {
                var read = socket.Receive(buffer);
                var newline = Array.IndexOf(buffer, (byte)'\n', 0, read);
                line.Write(buffer, 0, newline < 0 ? read : newline);
                if (read == 0 || newline >= 0)
                {
                    break;
                }
            }

            return Parse(Encoding.UTF8.GetString(line.GetBuffer(), 0, (int)line.Length));
        }
        catch (Exception ex) when (ex is SocketException or IOException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Parses a status line; the session fields are PascalCase, the older ones camelCase: names match either way.</summary>
    public static SwapStatus? Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var fields = root.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.OrdinalIgnoreCase);
        double Number(string name) => fields.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : 0;
        return new SwapStatus(
            (int)Number("generation"),
            (int)Number("swaps"),
            (int)Number("failedSwaps"),
            fields.TryGetValue("lastSwapError", out var error) && error.ValueKind == JsonValueKind.String ? error.GetString() : null,
            (long)Number("connections"),
            (long)Number("activeSessions"),
            (long)Number("migrations"),
            (long)Number("migrationsRolledBack"),
            Number("lastMigrationPauseMs"),
            (int)Number("retiredGenerationsLoaded"));
    }
}
