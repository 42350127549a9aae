using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PluggableNet.Tests.Hardening;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Transport;

/// <summary>
/// An offloaded call that ends after its epoll server stopped must not wake the reactor: the reactor's eventfd is
/// closed by then, and its descriptor number may belong to anything else in the process. Writing the wake-up's 8 bytes
/// (a little-endian 1) there once put <c>01 00 00 00 00 00 00 00</c> into another server's TCP connection, which its
/// client read as a corrupt answer header (<c>0x0100000000</c>).
/// </summary>
public sealed class LateReactorWakeTests
{
    private const int Pairs = 64;

    [Fact]
    public async Task AnOffloadedCallEndingAfterTheServerStoppedWritesToNoReusedDescriptor()
    {
        // The call must outlive the server; on a slow machine a short one may not, so a longer one is tried then.
        TestServer? server = null;
        foreach (var runsFor in (int[])[2_000, 8_000])
        {
            server = await StopWhileAnAbandonedCallRunsAsync(runsFor);
            if (server.Server.Status().AbandonedOffloads == 1)
            {
                break;
            }
        }

        Assert.True(server!.Server.Status().AbandonedOffloads == 1, "the abandoned call ended before the server had stopped, even when it ran for 8 s");

        // The descriptors the server closed (its reactors' eventfds and epoll instances, its listener) are the lowest
        // free ones now: the kernel hands them to these sockets.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(Pairs);
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < Pairs; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(client);
                await client.ConnectAsync(listener.LocalEndPoint!);
                sockets.Add(await listener.AcceptAsync());
            }

            await Wait.UntilAsync(() => server.Server.Status().AbandonedOffloads == 0, TimeSpan.FromSeconds(30), "the abandoned call to end");

            // Its completion runs on the thread that ended it, right after the count above: give it a moment.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(1);
            while (DateTime.UtcNow < deadline && !sockets.Any(s => s.Available > 0))
            {
                await Task.Delay(20);
            }

            var written = sockets.Where(s => s.Available > 0).ToList();
            Assert.True(written.Count == 0, Describe(written, sockets));
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>A server whose only call ignores cancellation and runs on for <paramref name="runsFor"/> ms after its connection was cut at 0.3 s; stopped.</summary>
    private static async Task<TestServer> StopWhileAnAbandonedCallRunsAsync(int runsFor)
    {
        var server = HardeningPlugins.Start("Epoll", HardeningPlugins.Slow, ("Limits:ProcessTimeout", "0.3"));
        try
        {
            using var deaf = server.Connect();
            await deaf.SendAsync(string.Create(CultureInfo.InvariantCulture, $"deaf:{runsFor}"));
            Assert.True(await deaf.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
        }
        finally
        {
            await server.DisposeAsync();
        }

        return server;
    }

    private static string Describe(List<Socket> written, List<Socket> sockets)
    {
        var lines = written.Select(s =>
        {
            var bytes = new byte[s.Available];
            var count = s.Receive(bytes);
            var index = sockets.IndexOf(s);
            var peer = sockets[index % 2 == 0 ? index + 1 : index - 1];
            return $"bytes {Convert.ToHexString(bytes, 0, count)} arrived on a loopback connection whose other end is descriptor {peer.Handle}";
        });
        return "Something wrote into a socket that reused a descriptor the stopped server had closed: " + string.Join("; ", lines);
    }
}
