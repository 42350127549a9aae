namespace PluggableNet.LoadGen;

/// <summary>
/// Lets a caller sample the server (CPU, allocations) exactly at the edges of the measured window.
/// Both methods run on the runner's control thread and should return quickly.
/// </summary>
public interface ILoadObserver
{
    /// <summary>Called right before the measured window opens (warm-up done).</summary>
    void OnMeasurementStarting();

    /// <summary>Called right after the measured window closed, before the connections are torn down.</summary>
    void OnMeasurementEnded();
}
