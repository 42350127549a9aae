using System.Net.Sockets;

namespace PluggableNet.Tests.Infrastructure;

/// <summary>A fact that needs IPv6 sockets (the loopback <c>::1</c>, dual-mode sockets); skipped with the reason where there are none.</summary>
public sealed class IPv6FactAttribute : FactAttribute
{
    public IPv6FactAttribute()
    {
        if (!Socket.OSSupportsIPv6)
        {
            Skip = "This machine has no IPv6 sockets.";
        }
    }
}
