using System.Net;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>Asks a real host process on a fresh connection, and waits for its answers to change.</summary>
internal static class HostAnswers
{
    /// <summary>Sends <paramref name="payload"/> on a new connection to 127.0.0.1:<paramref name="port"/> and returns the answer.</summary>
    public static async Task<string> AskAsync(int port, string payload)
    {
        using var client = FrameClient.Connect(new IPEndPoint(IPAddress.Loopback, port));
        return await client.AskAsync(payload);
    }

    /// <summary>Asks again until the answer is <paramref name="expected"/>; a refused or closed connection counts as "not yet".</summary>
    public static async Task BecomesAsync(int port, string payload, string expected, TimeSpan? timeout = null)
    {
        var last = "(none)";
        try
        {
            await Wait.UntilAsync(
                async () =>
                {
                    try
                    {
                        last = await AskAsync(port, payload);
                    }
                    catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or TimeoutException or OperationCanceledException)
                    {
                        last = exception.Message;
                    }

                    return last == expected;
                },
                timeout ?? TimeSpan.FromSeconds(20),
                $"the answer to '{payload}' becomes '{expected}'");
        }
        catch (TimeoutException exception)
        {
            throw new TimeoutException($"{exception.Message} (last answer: {last})", exception);
        }
    }
}
