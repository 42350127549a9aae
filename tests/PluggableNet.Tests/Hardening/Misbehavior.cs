using System.Net;
using System.Net.Sockets;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Hardening;

/// <summary>The clients of the chaos tests: one that behaves and verifies every answer, and the ones that do not.</summary>
internal static class Misbehavior
{
    /// <summary>Announces the largest frame allowed, sends one byte of it, and holds on.</summary>
    public static async Task AnnouncerAsync(IPEndPoint endPoint)
    {
        using var socket = await SocketHelpers.ConnectAsync(endPoint);
        if (await SendIgnoringResetAsync(socket, "99999x"u8.ToArray()))
        {
            await SocketHelpers.ReadToEndAsync(socket, TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>Bad headers as fast as connections can be opened: every one of them is something to log.</summary>
    public static async Task LogFlooderAsync(IPEndPoint endPoint)
    {
        using var socket = await SocketHelpers.ConnectAsync(endPoint);
        if (await SendIgnoringResetAsync(socket, "+0005hello"u8.ToArray()))
        {
            await SocketHelpers.ReadToEndAsync(socket, TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>Pipelines batches of requests and checks every answer; any error fails the test.</summary>
    public static async Task<int> WellBehavedAsync(FrameClient connection, int client, CancellationToken stop)
    {
        using var owned = connection;
        var random = new Random(client);
        var verified = 0;
        for (var batch = 0; batch < 100_000 && !stop.IsCancellationRequested; batch++)
        {
            var requests = Enumerable.Range(0, random.Next(1, 20)).Select(i => $"c{client}-b{batch}-r{i}-{new string('x', random.Next(0, 2000))}").ToList();
            await connection.SendRawAsync(Frames.AsciiMany(requests));
            foreach (var request in requests)
            {
                Assert.Equal(SocketHelpers.Reverse(request), await connection.ReadStringAsync());
                verified++;
            }
        }

        return verified;
    }

    public static async Task<int> RepeatAsync(CancellationToken stop, Func<Task> misbehave)
    {
        var count = 0;
        for (; count < 10_000 && !stop.IsCancellationRequested; count++)
        {
            await misbehave();
        }

        return count;
    }

    public static async Task GarbageAsync(IPEndPoint endPoint, int seed)
    {
        using var socket = await SocketHelpers.ConnectAsync(endPoint);
        var garbage = new byte[Random.Shared.Next(1, 4096)];
        new Random(seed + Environment.TickCount).NextBytes(garbage);
        garbage[0] = (byte)'x';
        await SendIgnoringResetAsync(socket, garbage);
        await SocketHelpers.ReadToEndAsync(socket, TimeSpan.FromSeconds(5));
    }

    public static async Task SlowlorisAsync(IPEndPoint endPoint)
    {
        using var socket = await SocketHelpers.ConnectAsync(endPoint);
        foreach (var part in new[] { "0", "0", "0", "9", "9", "abc" })
        {
            if (!await SendIgnoringResetAsync(socket, System.Text.Encoding.ASCII.GetBytes(part)))
            {
                return;
            }

            // Pacing the slowloris.
            await Task.Delay(150);
        }

        await SocketHelpers.ReadToEndAsync(socket, TimeSpan.FromSeconds(5));
    }

    public static async Task NonReaderAsync(IPEndPoint endPoint)
    {
        var socket = await SocketHelpers.ConnectAsync(endPoint);
        socket.ReceiveBufferSize = 16 * 1024;
        var burst = Enumerable.Range(0, 1000).SelectMany(_ => Frames.Ascii(new string('n', 1000))).ToArray();
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await socket.SendAsync(burst.AsMemory(), SocketFlags.None, giveUp.Token);
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException)
        {
            // Blocked by backpressure (as intended) or closed by a timeout.
        }

        SocketHelpers.Reset(socket);
    }

    public static async Task ResetterAsync(IPEndPoint endPoint)
    {
        var socket = await SocketHelpers.ConnectAsync(endPoint);
        await SendIgnoringResetAsync(socket, Frames.Ascii("reset me")[..7]);
        SocketHelpers.Reset(socket);
    }

    public static async Task IdlerAsync(IPEndPoint endPoint)
    {
        using var socket = await SocketHelpers.ConnectAsync(endPoint);
        await SocketHelpers.ReadToEndAsync(socket, TimeSpan.FromSeconds(5));
    }

    private static async Task<bool> SendIgnoringResetAsync(Socket socket, byte[] bytes)
    {
        try
        {
            await socket.SendAsync(bytes.AsMemory(), SocketFlags.None);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
