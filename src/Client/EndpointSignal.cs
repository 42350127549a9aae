namespace PluggableNet.Client;

/// <summary>What <see cref="EndpointSelector"/> knows about one endpoint at the moment of choosing.</summary>
/// <param name="DownUntil"><see cref="Environment.TickCount64"/> until which it is left out (0 when up).</param>
/// <param name="Pending">Requests awaiting an answer on its connections (read only for <see cref="EndpointSelection.LeastPending"/>).</param>
internal readonly record struct EndpointSignal(long DownUntil, int Pending);
