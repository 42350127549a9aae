using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Sessions;

/// <summary>A test server serving <see cref="RoomPlugin"/> from its own plugins directory, which a test rewrites to swap versions.</summary>
internal sealed class SessionHarness : IAsyncDisposable
{
    private SessionHarness(TestServer server, string directory)
    {
        Server = server;
        Directory = directory;
    }

    public TestServer Server { get; }

    public string Directory { get; }

    public static SessionHarness Start(string transport, int version = 1, bool throwing = false, bool offloaded = false, params (string Key, string Value)[] settings) =>
        Start(transport, RoomPlugin.BuildDirectory(version, throwing, offloaded), settings);

    /// <summary>Serves Room from <paramref name="directory"/>, built by the caller.</summary>
    public static SessionHarness Start(string transport, string directory, params (string Key, string Value)[] settings)
    {
        var server = TestServer.Start(transport, [("Logic:PluginsPath", directory), ("Logic:Plugin", RoomPlugin.Name), .. settings]);
        return new SessionHarness(server, directory);
    }

    public Task<SessionClient> ConnectAsync(string protocol) => SessionClient.ConnectAsync(Server.EndPoint, protocol);

    /// <summary>Rebuilds Room at <paramref name="version"/> and swaps to it; returns the swap's result.</summary>
    public async Task<PluggableNet.Server.SwapResult> SwapToAsync(int version, bool throwing = false, bool offloaded = false)
    {
        RoomPlugin.Build(Directory, version, throwing, offloaded);
        return await Server.Server.ReloadAsync("test");
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
