using System.Reflection;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// The hand-over protocol's identity: a new host first says which version it speaks, and an old host speaking another
/// refuses it in words before anything is handed over. Bump <see cref="Version"/> for any change a peer of the
/// previous version would misread.
/// </summary>
internal static class HandOverProtocol
{
    /// <summary>The version this build speaks.</summary>
    public const int Version = 2;

    /// <summary>The first bytes of a Hello, so a stray client is told apart from a host of another version.</summary>
    public const string Magic = "PluggableNet hand-over";

    /// <summary>Where the new host finds the channel; set by the old host only for the process it starts.</summary>
    public const string ChannelVariable = "PLUGGABLENET_UPGRADE_CHANNEL";

    /// <summary>Test seam: the version a new host claims (a build "speaking another version"); unset in production.</summary>
    public const string VersionOverrideVariable = "PLUGGABLENET_UPGRADE_PROTOCOL_VERSION";

    /// <summary>
    /// Test seam: <c>listeners:MS</c> makes a new host wait that long between receiving the sockets and accepting on
    /// them, <c>adopted:MS</c> after adopting each connection before it answers, so tests can kill either side at that step. Unset in production.
    /// </summary>
    public const string TestDelayVariable = "PLUGGABLENET_UPGRADE_TEST_DELAY";

    /// <summary>Whether <see cref="TestDelayVariable"/> names <paramref name="step"/>.</summary>
    public static bool TestDelays(string step) =>
        Environment.GetEnvironmentVariable(TestDelayVariable)?.StartsWith(step + ":", StringComparison.Ordinal) == true;

    /// <summary>Sleeps when <see cref="TestDelayVariable"/> names <paramref name="step"/>.</summary>
    public static void TestDelay(string step)
    {
        if (Environment.GetEnvironmentVariable(TestDelayVariable) is { } value && value.StartsWith(step + ":", StringComparison.Ordinal)
            && int.TryParse(value.AsSpan(step.Length + 1), out var milliseconds))
        {
            Thread.Sleep(milliseconds);
        }
    }

    /// <summary>This build as <c>status</c> names it: the informational version and the binary's path.</summary>
    public static string Build { get; } =
        (typeof(HandOverProtocol).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown")
        + " (" + typeof(HandOverProtocol).Assembly.Location + ")";

    public static byte[] Hello(int version, string build) => HandOverMessage.Build(w =>
    {
        w.Write(Magic);
        w.Write(version);
        w.Write(Environment.ProcessId);
        w.Write(build);
    });

    public static byte[] Welcome() => HandOverMessage.Build(w =>
    {
        w.Write(Version);
        w.Write(Environment.ProcessId);
        w.Write(Build);
    });

    public static byte[] Reason(string reason) => HandOverMessage.Build(w => w.Write(reason));

    public static string ReadReason(HandOverMessage message)
    {
        try
        {
            // One line for the operator's terminal, whatever shape the new host's message had.
            return string.Join(' ', message.Reader().ReadString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        catch (EndOfStreamException)
        {
            return "(no reason given)";
        }
    }
}
