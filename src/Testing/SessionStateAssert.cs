using System.Buffers;
using System.Text;

namespace PluggableNet.Testing;

/// <summary>
/// Moves a session's state from one version of a session plugin to another as a hot swap does (the shared state
/// first, then the session's, exported by one and imported by the other through a <see cref="StateImport"/>), so a
/// test proves that what one version writes the next reads, and the previous one too.
/// </summary>
/// <example>
/// <code>
/// await using var v1 = PluginUnderTest.LoadFrom("released/1.0.0/Chat.dll");
/// await using var v2 = PluginUnderTest.Load();
/// var ann = v1.OpenSession();
/// await v1.CallAsync(ann, "NICK ann");
/// var moved = SessionStateAssert.RoundTrips(v1, v2, ann);
/// Assert.Equal("ann", await v2.CallAsync(moved, "WHOAMI"));
/// </code>
/// </example>
public static class SessionStateAssert
{
    /// <summary>
    /// Moves <paramref name="session"/> from <paramref name="from"/> to <paramref name="to"/> and asserts that the
    /// state survives the way back: what <paramref name="to"/> exports, imported by <paramref name="from"/> (a
    /// rollback, <see cref="StateImport.IsDowngrade"/> when the versions say so), exports as the same bytes as before,
    /// for the session and for the shared state. Returns the session as <paramref name="to"/> now has it.
    /// </summary>
    /// <returns>
    /// A session with <paramref name="session"/>'s id, endpoints and groups, in the same registry, holding the state
    /// <paramref name="to"/> imported (<see cref="FakeSession.State"/>); <paramref name="session"/> leaves the registry
    /// and its pushes are refused from now on, as an old generation's are. <paramref name="from"/>'s shared state is what
    /// came back.
    /// </returns>
    /// <exception cref="SessionStateException">A hook threw, or the state changed on the way back.</exception>
    public static FakeSession RoundTrips(ISessionPlugin from, ISessionPlugin to, FakeSession session, string fromVersion, string toVersion)
    {
        ArgumentNullException.ThrowIfNull(session);
        return Move(Side(from, fromVersion, session.Registry), Side(to, toVersion, session.Registry), session, roundTrip: true);
    }

    /// <summary>
    /// <see cref="RoundTrips(ISessionPlugin, ISessionPlugin, FakeSession, string, string)"/> between two loaded plugins
    /// (two builds, each in its own load context, as the host swaps them), with the versions their assemblies carry.
    /// The returned session is open in <paramref name="to"/>'s <see cref="PluginUnderTest.Sessions"/>, in the groups
    /// <paramref name="session"/> had, so the test goes on calling <paramref name="to"/> with it.
    /// </summary>
    /// <exception cref="SessionStateException">A hook threw, or the state changed on the way back.</exception>
    public static FakeSession RoundTrips(PluginUnderTest from, PluginUnderTest to, FakeSession session)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        return Move(Side(from), Side(to), session, roundTrip: true);
    }

    /// <summary>
    /// Moves <paramref name="session"/> one way only, as one swap does: <paramref name="from"/> exports,
    /// <paramref name="to"/> imports. For what an older version makes of a newer one's state, call it with the newer
    /// one as <paramref name="from"/>. Returns the session as <paramref name="to"/> now has it (see
    /// <see cref="RoundTrips(ISessionPlugin, ISessionPlugin, FakeSession, string, string)"/>).
    /// </summary>
    /// <exception cref="SessionStateException">A hook threw.</exception>
    public static FakeSession Moves(ISessionPlugin from, ISessionPlugin to, FakeSession session, string fromVersion, string toVersion)
    {
        ArgumentNullException.ThrowIfNull(session);
        return Move(Side(from, fromVersion, session.Registry), Side(to, toVersion, session.Registry), session, roundTrip: false);
    }

    /// <summary>One swap between two loaded plugins (see <see cref="Moves(ISessionPlugin, ISessionPlugin, FakeSession, string, string)"/>).</summary>
    /// <exception cref="SessionStateException">A hook threw.</exception>
    public static FakeSession Moves(PluginUnderTest from, PluginUnderTest to, FakeSession session)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        return Move(Side(from), Side(to), session, roundTrip: false);
    }

    private static FakeSession Move(SwapSide from, SwapSide to, FakeSession session, bool roundTrip)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!ReferenceEquals(session.Registry, from.Registry))
        {
            throw new ArgumentException($"{session} is not a session of {from.Describe}: open it with that plugin's OpenSession().", nameof(session));
        }

        if (session.IsClosed)
        {
            throw new ArgumentException($"{session} is closed: a swap moves open sessions only.", nameof(session));
        }

        var groups = session.Groups;
        var sharedBefore = Export(from, "ExportSharedState", null, from.Plugin.ExportSharedState);
        var stateBefore = Export(from, "ExportState", session.Id, b => from.Plugin.ExportState(session, b));
        Run(to, "ImportSharedState", null, () => to.Plugin.ImportSharedState(new StateImport(from.Number, to.Number, sharedBefore)));
        var moved = session.Staged(to.Registry);
        Run(to, "ImportState", session.Id, () => to.Plugin.ImportState(moved, new StateImport(from.Number, to.Number, stateBefore)));

        if (roundTrip)
        {
            // The way back, as a rollback to the previous version would go; compared in the previous version's own words.
            var sharedThere = Export(to, "ExportSharedState", null, to.Plugin.ExportSharedState);
            var stateThere = Export(to, "ExportState", session.Id, b => to.Plugin.ExportState(moved, b));
            Run(from, "ImportSharedState", null, () => from.Plugin.ImportSharedState(new StateImport(to.Number, from.Number, sharedThere)));
            var back = session.Staged(from.Registry);
            Run(from, "ImportState", session.Id, () => from.Plugin.ImportState(back, new StateImport(to.Number, from.Number, stateThere)));
            var sharedBack = Export(from, "ExportSharedState", null, from.Plugin.ExportSharedState);
            var stateBack = Export(from, "ExportState", session.Id, b => from.Plugin.ExportState(back, b));
            back.State = null;
            Same("The shared state", from, to, sharedBefore, sharedBack);
            Same($"The state of {session}", from, to, stateBefore, stateBack);
        }

        session.MovedAway();
        to.Registry.Adopt(moved, groups);
        return moved;
    }

    private static byte[] Export(SwapSide side, string hook, long? id, Action<IBufferWriter<byte>> export)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Run(side, hook, id, () => export(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    private static void Run(SwapSide side, string hook, long? id, Action step)
    {
        try
        {
            step();
        }
        catch (Exception exception)
        {
            var where = id is null ? string.Empty : $" for session {id}";
            throw new SessionStateException($"{side.Describe} threw in {hook}{where}: {exception.GetType().Name}: {exception.Message}", exception);
        }
    }

    private static void Same(string what, SwapSide from, SwapSide to, byte[] before, byte[] after)
    {
        if (!before.AsSpan().SequenceEqual(after))
        {
            throw new SessionStateException(
                $"{what} did not survive {from.Number} → {to.Number} → {from.Number}: {from.Describe} exported {Show(before)} before and {Show(after)} after.");
        }
    }

    /// <summary>Bytes as the text they are (JSON, mostly), or as hex.</summary>
    private static string Show(byte[] data)
    {
        if (data.Length == 0)
        {
            return "nothing";
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(data);
        }
        catch (DecoderFallbackException)
        {
            return "0x" + Convert.ToHexString(data);
        }
    }

    private static SwapSide Side(ISessionPlugin plugin, string version, FakeSessionRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        ArgumentNullException.ThrowIfNull(version);
        return new SwapSide(plugin, version, registry, $"{plugin.GetType().Name} {version}");
    }

    private static SwapSide Side(PluginUnderTest plugin) => new(plugin.SessionPlugin, plugin.Version, plugin.Sessions, $"{plugin.Name} {plugin.Version}");

    /// <summary>One side of a swap: the plugin, its version, the registry its sessions live in, and how messages name it.</summary>
    private sealed record SwapSide(ISessionPlugin Plugin, string Number, FakeSessionRegistry Registry, string Describe);
}
