using System.Runtime.InteropServices;
using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Connections.Handover;

/// <summary>A raw descriptor that closes when released: a detached connection's socket, owned by whoever holds the snapshot.</summary>
internal sealed class DescriptorHandle : SafeHandle
{
    public DescriptorHandle(int fd)
        : base(-1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle == -1;

    protected override bool ReleaseHandle() => Libc.close((int)handle) == 0;
}
