using System.Globalization;

namespace PluggableNet.Bench.Driver.Fanout;

/// <summary>The fan-out benchmark's servers: the C broadcast baseline and the host serving bench/Plugins/Broadcast.</summary>
internal static class FanoutServers
{
    /// <summary>The baseline every ratio is relative to.</summary>
    public const string CName = ServerDefinition.CName;

    public static bool IsKnown(string name) => name is CName or "epoll" or "sockets" or ServerDefinition.BaseName || ServerDefinition.FixedReactors(name) is not null;

    /// <summary>
    /// The definition of a <c>--servers</c> name; <paramref name="benchPlugins"/> is the folder holding Broadcast,
    /// <paramref name="baseHostDll"/> another build's host served as <c>base-epoll</c> (before/after in one run), or null.
    /// </summary>
    public static ServerDefinition Resolve(string name, string hostDll, string? baseHostDll, string cServer, string benchPlugins) => name switch
    {
        CName => new ServerDefinition(
            CName,
            cServer,
            launch => [launch.Port.ToString(CultureInfo.InvariantCulture), "99999"],
            HasControlChannel: false),
        "epoll" => Host(name, "Epoll", hostDll, benchPlugins),
        "sockets" => Host(name, "Sockets", hostDll, benchPlugins),
        ServerDefinition.BaseName => Host(name, "Epoll", baseHostDll ?? throw new ArgumentException("base-epoll needs --base-host-dll."), benchPlugins),
        _ when ServerDefinition.FixedReactors(name) is { } count => Host(name, "Epoll", hostDll, benchPlugins, $"--Server:ReactorThreads={count}"),
        _ => throw new ArgumentException($"Unknown server '{name}': use {FanoutOptions.KnownServers}."),
    };

    // Host's defaults (Reverse, 100,000 connections) with the Broadcast plugin instead: the later setting wins.
    private static ServerDefinition Host(string name, string transport, string hostDll, string benchPlugins, params string[] extra) =>
        ServerDefinition.Host(name, transport, hostDll, [$"--Logic:PluginsPath={benchPlugins}", "--Logic:Plugin=Broadcast", .. extra]);
}
