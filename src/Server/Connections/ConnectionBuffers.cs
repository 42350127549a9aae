using System.Buffers;

namespace PluggableNet.Server.Connections;

/// <summary>
/// Where connection buffers come from, and how their memory goes back to the system. Arrays up to
/// <see cref="LargeThreshold"/> come from the shared array pool, whose retention is small and bounded. Larger ones (a
/// megabyte frame arriving, the answers of a peer that stopped reading) come from a pool of their own that keeps a few
/// per size while they are in use; once none has been asked for during <see cref="IdleMs"/>, that pool is dropped and
/// one full, compacting collection returns what they held. Without it a server that rarely allocates would keep a
/// burst's memory forever: nothing else brings a GC about, and the shared pool trims an array a minute.
/// </summary>
internal static class ConnectionBuffers
{
    public const int LargeThreshold = 128 * 1024;

    /// <summary>How long large arrays go unasked for (neither rented, returned nor dropped) before their memory is returned.</summary>
    public const long IdleMs = 2000;

    private const int LargeArraysPerSize = 8;

    // At most one collection per this long, however bursty the traffic: the runtime's own GC handles steady load.
    private const long MinimumCollectionIntervalMs = 10_000;

    private static ArrayPool<byte> s_large = NewLargePool();
    private static long s_lastLargeUse;
    private static long s_lastCollection = long.MinValue / 2;
    private static int s_largeUsedSinceCollection;

    public static byte[] Rent(int minimumLength)
    {
        if (minimumLength <= LargeThreshold)
        {
            return ArrayPool<byte>.Shared.Rent(minimumLength);
        }

        MarkLargeUse();
        return Volatile.Read(ref s_large).Rent(minimumLength);
    }

    public static void Return(byte[] array)
    {
        if (array.Length <= LargeThreshold)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
        else
        {
            Volatile.Read(ref s_large).Return(array);
            MarkLargeUse();
        }
    }

    /// <summary>
    /// Tells that an array from <see cref="AllocateUnpooled"/> is no longer used: its memory is garbage now, returned
    /// by the next collection this class brings about.
    /// </summary>
    public static void Drop(byte[] array)
    {
        if (array.Length > LargeThreshold)
        {
            MarkLargeUse();
        }
    }

    /// <summary>An array of exactly <paramref name="length"/> bytes that is dropped, not returned, once used.</summary>
    public static byte[] AllocateUnpooled(int length)
    {
        MarkLargeUse();
        return GC.AllocateUninitializedArray<byte>(length);
    }

    /// <summary>
    /// Called by every transport's periodic scan: once large arrays have gone unasked for long enough, drops their
    /// pool and collects on the thread pool, never on the calling (reactor) thread.
    /// </summary>
    public static void ReturnIdleMemory(long now)
    {
        if (Volatile.Read(ref s_largeUsedSinceCollection) == 0
            || now - Volatile.Read(ref s_lastLargeUse) < IdleMs
            || now - Volatile.Read(ref s_lastCollection) < MinimumCollectionIntervalMs
            || Interlocked.Exchange(ref s_largeUsedSinceCollection, 0) == 0)
        {
            return;
        }

        Volatile.Write(ref s_lastCollection, now);
        Volatile.Write(ref s_large, NewLargePool());
        ThreadPool.UnsafeQueueUserWorkItem(
            static _ =>
            {
                // Aggressive: compacts and decommits what is free at once instead of keeping it for the next burst.
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            },
            null);
    }

    // A return or a drop counts as a use: memory released after the last collection (connections closing once their
    // burst is over) must bring another one about, or it stays resident until something else allocates.
    private static void MarkLargeUse()
    {
        Volatile.Write(ref s_lastLargeUse, Environment.TickCount64);
        if (Volatile.Read(ref s_largeUsedSinceCollection) == 0)
        {
            Volatile.Write(ref s_largeUsedSinceCollection, 1);
        }
    }

    // Arrays from a dropped pool come back to its successor: same sizes, so it takes them.
    private static ArrayPool<byte> NewLargePool() => ArrayPool<byte>.Create(Array.MaxLength, LargeArraysPerSize);
}
