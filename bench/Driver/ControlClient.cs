using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace PluggableNet.Bench.Driver;

/// <summary>
/// Client of the control contract: connect to the Unix socket, send <c>status\n</c>, read one JSON line.
/// Every failure yields null, so a server without the channel simply reports "n/a".
/// </summary>
internal static class ControlClient
{
    public static ControlStatus? TryQuery(string? path, TimeSpan timeout)
    {
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            return null;
        }

        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.SendTimeout = (int)timeout.TotalMilliseconds;
            socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send("status\n"u8);

            var buffer = new byte[8192];
            var length = 0;
            while (length < buffer.Length)
            {
                var read = socket.Receive(buffer.AsSpan(length));
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (buffer.AsSpan(0, length).Contains((byte)'\n'))
                {
                    break;
                }
            }

            var line = Encoding.UTF8.GetString(buffer, 0, length).Split('\n')[0];
            return Parse(line);
        }
        catch (Exception ex) when (ex is SocketException or IOException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Parses a status line; fields that are missing read as 0 or empty.</summary>
    public static ControlStatus? Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("allocatedBytes", out _))
        {
            return null;
        }

        return new ControlStatus(
            (int)Number(root, "pid"),
            Number(root, "connections"),
            Number(root, "requests"),
            Number(root, "allocatedBytes"),
            Text(root, "plugin"),
            Text(root, "pluginVersion"),
            (int)Number(root, "activeReactors"));
    }

    private static long Number(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : 0;

    private static string Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? string.Empty : string.Empty;
}
