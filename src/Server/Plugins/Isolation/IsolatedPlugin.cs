using System.Buffers;
using Microsoft.Extensions.Logging;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// What the connections see of a plugin in <c>Isolation Process</c>: an offloaded plugin whose calls go to its worker
/// process. Supervises that worker (one generation, one worker at a time): a worker that dies is restarted under the
/// intensity limit (<c>MaxRestarts</c> in <c>RestartWindow</c>), and past it the plugin is given up, refusing every
/// request, until a swap (a reload, SIGHUP, a new version) brings a new generation with a fresh supervisor.
/// </summary>
internal sealed partial class IsolatedPlugin : ILogicPlugin, IAsyncDisposable
{
    private readonly WorkerLaunch _launch;
    private readonly RestartIntensity _intensity;
    private readonly ILogger _logger;
    private readonly long _processTimeoutMs;
    private readonly Timer? _watchdog;
    private readonly Lock _lock = new();
    private WorkerProcess? _worker;
    private TaskCompletionSource _restarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _disposed;
    private int _restarts;

    public IsolatedPlugin(WorkerLaunch launch, WorkerProcess first, long processTimeoutMs)
    {
        _launch = launch;
        _logger = launch.Logger;
        _intensity = new RestartIntensity(launch.Isolation.MaxRestarts, launch.Isolation.RestartWindow);
        _processTimeoutMs = processTimeoutMs;
        Adopt(first);
        if (processTimeoutMs > 0)
        {
            var period = TimeSpan.FromMilliseconds(Math.Clamp(processTimeoutMs / 4, 50, 1000));
            _watchdog = new Timer(static state => ((IsolatedPlugin)state!).Watch(), this, period, period);
        }
    }

    public PluginExecution Execution => PluginExecution.Offloaded;

    /// <summary>True once the restart limit was reached: the endpoint is not ready until a new generation replaces this one.</summary>
    public bool GaveUp { get; private set; }

    /// <summary>Restarts so far (for status and tests).</summary>
    public int Restarts => Volatile.Read(ref _restarts);

    /// <summary>The running worker's process id, or 0 between a crash and its restart.</summary>
    public int WorkerPid => Volatile.Read(ref _worker) is { IsDead: false } worker ? worker.Pid : 0;

    /// <summary>The running worker, or null between a crash and its restart (and once given up): the batch path's target.</summary>
    public WorkerProcess? LiveWorker => Volatile.Read(ref _worker) is { IsDead: false } worker ? worker : null;

    /// <summary>How requests and answers were batched, over every worker of this generation.</summary>
    public IsolationCounters Counters => _launch.Counters;

    public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer) =>
        throw new InvalidOperationException("An isolated plugin is always called through ProcessAsync.");

    public ValueTask ProcessAsync(ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, CancellationToken cancellationToken)
    {
        var worker = Volatile.Read(ref _worker);
        return worker is { IsDead: false } ? worker.Send(request, answer) : SendAfterRestartAsync(request, answer, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        WorkerProcess? worker;
        lock (_lock)
        {
            _disposed = true;
            worker = _worker;
            _worker = null;
            _restarted.TrySetResult();
        }

        _watchdog?.Dispose();
        worker?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>A request that arrived between a crash and the restart waits for the restart (bounded), then goes to the new worker.</summary>
    private async ValueTask SendAfterRestartAsync(ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, CancellationToken cancellationToken)
    {
        Task restarted;
        lock (_lock)
        {
            restarted = _restarted.Task;
        }

        await restarted.WaitAsync(_launch.ReadyTimeout, cancellationToken).ConfigureAwait(false);
        var worker = Volatile.Read(ref _worker);
        if (worker is not { IsDead: false })
        {
            throw new PluginUnavailableException(GaveUp
                ? $"plugin {_launch.Name} crashed more than {_launch.Isolation.MaxRestarts} times in {_launch.Isolation.RestartWindow.TotalSeconds:0.#} s and is not restarted until it is reloaded"
                : $"plugin {_launch.Name} has no running worker");
        }

        await worker.Send(request, answer).ConfigureAwait(false);
    }

    private void Adopt(WorkerProcess worker)
    {
        worker.Died = OnDied;
        lock (_lock)
        {
            if (_disposed)
            {
                worker.Dispose();
                return;
            }

            _worker = worker;
            _restarted.TrySetResult();
            _restarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private void Watch()
    {
        if (Volatile.Read(ref _worker) is { IsDead: false } worker && worker.OldestCallAge(Environment.TickCount64) > _processTimeoutMs)
        {
            worker.Kill($"a call ran past Limits:ProcessTimeout ({_processTimeoutMs} ms)");
        }
    }
}
