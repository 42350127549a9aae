namespace PluggableNet;

/// <summary>What one broadcast did, member by member.</summary>
/// <param name="Queued">Members the message was queued for.</param>
/// <param name="Dropped">Members too far behind: dropped for them, or their connection closed (<see cref="SlowConsumerPolicy"/>).</param>
/// <param name="Gone">Members that closed while the broadcast ran.</param>
/// <param name="Refused">Members not written to because the pushing generation was retired, or whose connection cannot take pushes.</param>
public readonly record struct BroadcastResult(int Queued, int Dropped, int Gone, int Refused);
