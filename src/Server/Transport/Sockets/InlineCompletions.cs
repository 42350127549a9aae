using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace PluggableNet.Server.Transport.Sockets;

/// <summary>
/// Runs a socket's completions on the runtime's epoll thread instead of queueing each one to the thread pool
/// (<c>Socket.PreferInlineCompletions</c>, what <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> sets for every
/// socket). Used for TLS connections once their handshake is done: a request then is read, decrypted, answered and
/// sent by one thread, as on an epoll reactor, without a wake-up of a pool thread per request.
/// </summary>
internal static class InlineCompletions
{
    private static bool s_unavailable;

    /// <summary>Sets it on <paramref name="socket"/>; false where the runtime has no such property (Windows, a newer runtime).</summary>
    public static bool TryEnable(Socket socket)
    {
        if (s_unavailable || OperatingSystem.IsWindows())
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
