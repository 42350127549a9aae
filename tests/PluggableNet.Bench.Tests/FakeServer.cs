using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PluggableNet.Bench.Tests;

/// <summary>A tiny Reverse server (ascii5 framing) on 127.0.0.1, port 0, that can be told to misbehave.</summary>
internal sealed class FakeServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly FakeServerBehavior _behavior;
    private readonly Task _acceptLoop;

    public FakeServer(FakeServerBehavior behavior)
    {
        _behavior = behavior;
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop.WaitAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        var clients = new List<Task>();
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                clients.Add(ServeAsync(client));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        await Task.WhenAll(clients);
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var header = new byte[5];
            try
            {
                while (true)
                {
                    await stream.ReadExactlyAsync(header, _stop.Token);
                    var length = int.Parse(Encoding.ASCII.GetString(header), CultureInfo.InvariantCulture);
                    var payload = new byte[length];
                    await stream.ReadExactlyAsync(payload, _stop.Token);
                    Array.Reverse(payload);
                    if (_behavior == FakeServerBehavior.WrongBytes)
                    {
                        payload[0] ^= 0x20;
                    }

                    await stream.WriteAsync(header, _stop.Token);
                    await stream.WriteAsync(payload, _stop.Token);
                    if (_behavior == FakeServerBehavior.CloseAfterFirstAnswer)
                    {
                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is EndOfStreamException or IOException or OperationCanceledException or SocketException)
            {
                // The client closed, or the test is over.
            }
        }
    }
}
