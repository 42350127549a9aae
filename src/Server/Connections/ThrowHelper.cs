using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace PluggableNet.Server.Connections;

/// <summary>Throw sites kept out of hot methods so those stay small and inlinable.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowAdvancedTooFar() => throw new InvalidOperationException("Advanced past the end of the buffer the plugin was given.");
}
