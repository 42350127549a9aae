using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PluggableNet.Server.Transport.Sockets;

/// <summary>
/// Runs a socket's completions on the runtime's socket event (epoll) thread instead of queueing each one to the thread
/// pool (<c>Socket.PreferInlineCompletions</c>, what <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> sets for
/// every socket). Used for TLS connections once their handshake is done: a request is then read, decrypted, answered
/// and sent by one thread, as on an epoll reactor, without waking a pool thread per request. Only when the runtime runs
/// an event thread per processor (<see cref="OneEventThreadPerProcessor"/>): on its default single event thread every
/// TLS connection would share one core.
/// </summary>
internal static class InlineCompletions
{
    /// <summary>The runtime's count of socket event threads, read once when its first socket is registered.</summary>
    public const string ThreadCountVariable = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    private const string InlineVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    // Decided at the first TLS connection, well after OneEventThreadPerProcessor (a static initializer could run before it).
    private static readonly Lazy<bool> s_applies = new(static () => !OperatingSystem.IsWindows() && EventThreads(Environment.GetEnvironmentVariable) >= Environment.ProcessorCount);
    private static bool s_unavailable;

    /// <summary>Whether TLS connections get inline completions in this process (decided once, from the runtime's event threads).</summary>
    public static bool Applies => s_applies.Value && !s_unavailable;

    /// <summary>
    /// At the very start of the host, before any socket exists: one socket event thread per processor, unless the
    /// environment chose a count (<see cref="ThreadCountVariable"/>=1 turns inline TLS completions off). The runtime's
    /// default is one thread per 30 processors, enough when every completion only queues work to the pool.
    /// </summary>
    public static void OneEventThreadPerProcessor()
    {
        if (!OperatingSystem.IsWindows() && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ThreadCountVariable)))
        {
            Environment.SetEnvironmentVariable(ThreadCountVariable, Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>How many socket event threads the runtime runs, as it counts them (SocketAsyncEngine.GetEngineCount).</summary>
    internal static int EventThreads(Func<string, string?> environment) =>
        uint.TryParse(environment(ThreadCountVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0 ? (int)count
        : environment(InlineVariable) == "1" ? Environment.ProcessorCount
        : Math.Max(1, (int)Math.Round(Environment.ProcessorCount / (RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 8.0 : 30.0)));

    /// <summary>Sets it on <paramref name="socket"/> where it applies; false where not, or where the runtime has no such property.</summary>
    public static bool TryEnable(Socket socket)
    {
        if (!Applies)
        {
            return false;
        }

        try
        {
            SetPreferInlineCompletions(socket, true);
            return true;
        }
        catch (MissingMethodException)
        {
            s_unavailable = true;
            return false;
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_PreferInlineCompletions")]
    private static extern void SetPreferInlineCompletions(Socket socket, bool value);
}
