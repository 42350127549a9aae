using PluggableNet.Server.Diagnostics;

namespace PluggableNet.Server.Connections;

/// <summary>
/// The tags of <c>pluggablenet.connection.duration</c> per <see cref="CloseReason"/>: the endpoint's, the reason in
/// snake case, and <c>error.type</c> (the same value) for every close that is not a normal end, as Kestrel tags
/// its connection duration. Built once per reason, so a close records without allocating.
/// </summary>
internal sealed class CloseReasonTags
{
    private readonly KeyValuePair<string, object?>[]?[] _byReason = new KeyValuePair<string, object?>[]?[Enum.GetValues<CloseReason>().Length];

    public KeyValuePair<string, object?>[] For(CloseReason reason, HostMeter meter) =>
        _byReason[(int)reason] ??= Build(reason, meter.EndPointTagSet);

    private static KeyValuePair<string, object?>[] Build(CloseReason reason, KeyValuePair<string, object?>[] endPoint)
    {
        var name = HostMeter.SnakeCase(reason.ToString());
        KeyValuePair<string, object?> reasonTag = new(HostMeter.Tags.CloseReason, name);
        return reason is CloseReason.RemoteClosed or CloseReason.Shutdown
            ? [.. endPoint, reasonTag]
            : [.. endPoint, reasonTag, new(HostMeter.Tags.ErrorType, name)];
    }
}
