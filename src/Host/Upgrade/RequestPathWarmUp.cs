using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using PluggableNet.Server;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// The new host compiles its request path before it asks for the sockets, while the old host still serves: a moved
/// connection's first requests are otherwise answered by code the JIT meets for the first time, on cores the old host
/// needs too, and its client waits for that (the bench's longest pauses ended 40–240 ms after the last connection was
/// adopted). Non-generic methods of the connection, transport, framing, session and hand-over types are prepared;
/// bounded in time, never fatal.
/// </summary>
internal static class RequestPathWarmUp
{
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(3);

    private static readonly string[] s_namespaces =
    [
        "PluggableNet.Server.Connections", "PluggableNet.Server.Transport", "PluggableNet.Server.Framing",
        "PluggableNet.Server.Sessions", "PluggableNet.Server.Plugins", "PluggableNet.Protocol",
    ];

    public static void Run(ILogger logger)
    {
        var clock = Stopwatch.StartNew();
        var prepared = 0;
        Assembly[] assemblies = [typeof(PluggableServer).Assembly, typeof(PluggableNet.Protocol.V2.FrameType).Assembly];
        foreach (var type in assemblies.Distinct().SelectMany(Types).Where(t => !t.ContainsGenericParameters && s_namespaces.Any(n => t.Namespace?.StartsWith(n, StringComparison.Ordinal) == true)))
        {
            foreach (var method in type.GetMethods(BindingFlags.DeclaredOnly | BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            {
                if (clock.Elapsed > s_budget)
                {
                    logger.LogInformation("Upgrade: request path warm-up stopped at its budget ({Ms} ms, {Count} methods)", clock.ElapsedMilliseconds, prepared);
                    return;
                }

                if (method.IsAbstract || method.ContainsGenericParameters || method.GetMethodBody() is null)
                {
                    continue;
                }

                try
                {
                    RuntimeHelpers.PrepareMethod(method.MethodHandle);
                    prepared++;
                }
                catch (Exception exception) when (exception is ArgumentException or NotSupportedException or InvalidOperationException or BadImageFormatException or TypeLoadException)
                {
                    // Not preparable on its own (e.g. needs an instantiation): it compiles at its first call as usual.
                }
            }
        }

        logger.LogInformation("Upgrade: request path warmed up ({Count} methods, {Ms} ms)", prepared, clock.ElapsedMilliseconds);
    }

    private static IEnumerable<Type> Types(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException exception)
        {
            return exception.Types.OfType<Type>();
        }
    }
}
