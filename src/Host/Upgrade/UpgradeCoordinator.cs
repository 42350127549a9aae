using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluggableNet.Host.Service;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// The old host's side of <c>upgrade</c> and SIGUSR2 (docs/upgrade.md): starts the new binary with a private
/// channel, waits until it is ready (configuration, plugins, telemetry), lends it the listening sockets, and only once
/// it accepts on them stops accepting, lets go of the pidfile and control socket, and drains. Before that point any
/// failure of the new host (exit, crash, silence past the timeout, refusal) leaves this host exactly as it was.
/// One upgrade at a time; none while a plugin swap or a drain is under way.
/// </summary>
internal sealed class UpgradeCoordinator(
    ServerHostedService server,
    HandOverResources resources,
    ServiceSettings service,
    IHostApplicationLifetime lifetime,
    IConnectionHandOver connections,
    ILoggerFactory loggerFactory,
    HandOverClient? arrival = null)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("PluggableNet.Upgrade");
    private readonly SemaphoreSlim _one = new(1, 1);
    private int? _handedTo;

    /// <summary>Whether this host runs under systemd (its new host then takes the notify socket over).</summary>
    public bool UnderSystemd { get; init; }

    /// <summary>When this host itself took over from another; for <c>status</c>.</summary>
    public UpgradeOrigin? Origin => arrival?.Origin;

    /// <summary>
    /// Runs one upgrade to <paramref name="binary"/> (null: this host's own program) within <paramref name="timeout"/>
    /// for the new host to be ready and serving. On success the caller starts this host's drain (after replying).
    /// </summary>
    public async Task<UpgradeResult> UpgradeAsync(string? binary, TimeSpan timeout)
    {
        if (!await _one.WaitAsync(0).ConfigureAwait(false))
        {
            return UpgradeResult.Failed("refused: an upgrade is already in progress; wait for it to finish");
        }

        try
        {
            if (_handedTo is { } pid)
            {
                return UpgradeResult.Failed($"refused: this host already handed over to pid {pid}, which serves now; upgrade that one");
            }

            if (Refusal() is { } refusal)
            {
                return UpgradeResult.Failed(refusal);
            }

            var result = await RunAsync(binary, timeout).ConfigureAwait(false);
            if (result.Upgraded)
            {
                _handedTo = result.NewPid;
            }

            return result;
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>Starts this host's drain, once the operator has been told the upgrade succeeded.</summary>
    public void StopAfterHandOver() => lifetime.StopApplication();

    private string? Refusal()
    {
        var servers = server.Servers;
        if (servers.Count == 0)
        {
            return "refused: the host is not serving yet";
        }

        if (servers.Any(s => s.IsStopping))
        {
            return "refused: the host is draining (stopping); start a new host instead";
        }

        if (servers.Any(s => s.IsSwapping))
        {
            return "refused: a plugin swap is in progress; try again once it has finished (status shows it)";
        }

        return null;
    }

    private async Task<UpgradeResult> RunAsync(string? binary, TimeSpan timeout)
    {
        if (binary is not null && !File.Exists(binary))
        {
            return UpgradeResult.Failed($"refused: --binary {binary} does not exist");
        }

        using var deadline = new CancellationTokenSource(timeout);
        var until = DateTime.UtcNow + timeout;
        using var listener = new HandOverListener(service.ControlDirectory);
        var info = NewHostCommand.Create(binary, listener.Path, UnderSystemd);
        Process child;
        try
        {
            child = Process.Start(info) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception exception) when (exception is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return UpgradeResult.Failed($"the new host could not be started ({info.FileName}): {exception.Message}; this host serves on");
        }

        using (child)
        {
            _logger.LogInformation("Upgrade: started the new host, pid {Pid}: {Program} {Arguments}", child.Id, info.FileName, string.Join(' ', info.ArgumentList));
            var step = "connect to the hand-over channel";
            HandOverChannel? channel = null;
            try
            {
                using var exitOrDeadline = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                // A child that exits before it connects ends the wait at once, with its exit code as the reason.
                _ = child.WaitForExitAsync(CancellationToken.None).ContinueWith(_ => Cancel(exitOrDeadline), TaskScheduler.Default);
                channel = await listener.AcceptAsync(child.Id, exitOrDeadline.Token).ConfigureAwait(false);
                return await HandOverAsync(channel, child, deadline, until, s => step = s).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is OperationCanceledException or TimeoutException or EndOfStreamException or InvalidDataException or IOException)
            {
                var why = await FailureAsync(child, deadline.IsCancellationRequested, timeout, step, exception).ConfigureAwait(false);
                _logger.LogWarning("Upgrade failed: {Reason}; this host serves on", why);
                return UpgradeResult.Failed(why + "; this host serves on");
            }
            finally
            {
                channel?.Dispose();
            }
        }
    }

    private async Task<UpgradeResult> HandOverAsync(HandOverChannel channel, Process child, CancellationTokenSource deadline, DateTime until, Action<string> step)
    {
        TimeSpan Left() => until - DateTime.UtcNow is var left && left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);

        step("say hello");
        var hello = await channel.ReceiveAsync(Left(), deadline.Token).ConfigureAwait(false);
        if (hello.Kind != HandOverKind.Hello)
        {
            hello.CloseDescriptors();
            channel.Send(HandOverKind.Refused, HandOverProtocol.Reason("the hand-over starts with a Hello"));
            throw new InvalidDataException($"the new host's first message was {hello.Kind}, not Hello");
        }

        var (version, build) = ReadHello(hello);
        if (version != HandOverProtocol.Version)
        {
            var reason = $"the new host speaks hand-over protocol version {version}, this host version {HandOverProtocol.Version}";
            channel.Send(HandOverKind.Refused, HandOverProtocol.Reason(reason));
            await WaitForExitAsync(child, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            return UpgradeResult.Failed("refused: " + reason + " (upgrade through a build that speaks both, or restart); this host serves on");
        }

        channel.Send(HandOverKind.Welcome, HandOverProtocol.Welcome());
        _logger.LogInformation("Upgrade: new host pid {Pid} ({Build}) speaks protocol {Version}; waiting until it is ready", child.Id, build, version);

        step("become ready (configuration, plugins, telemetry)");
        var wanted = await channel.ReceiveAsync(Left(), deadline.Token).ConfigureAwait(false);
        if (wanted.Kind == HandOverKind.Refused)
        {
            var reason = HandOverProtocol.ReadReason(wanted);
            await WaitForExitAsync(child, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            return UpgradeResult.Failed($"the new host (pid {child.Id}) could not start: {reason}; this host serves on");
        }

        if (wanted.Kind != HandOverKind.ListenersWanted)
        {
            throw new InvalidDataException($"expected ListenersWanted, got {wanted.Kind}");
        }

        step("take the listening sockets and accept on them");
        var servers = server.Servers;
        var descriptors = servers.Select(s => s.ShareListener()).ToArray();
        channel.Send(HandOverKind.Listeners, ListenerHandOver.Write(servers), descriptors);
        var serving = await channel.ReceiveAsync(Left(), deadline.Token).ConfigureAwait(false);
        if (serving.Kind == HandOverKind.Refused)
        {
            var reason = HandOverProtocol.ReadReason(serving);
            KillIfRunning(child);
            return UpgradeResult.Failed($"the new host (pid {child.Id}) could not serve on the sockets: {reason}; this host serves on");
        }

        if (serving.Kind != HandOverKind.Serving)
        {
            throw new InvalidDataException($"expected Serving, got {serving.Kind}");
        }

        // The point of no return: the new host accepts on the same sockets, so stopping here refuses nobody.
        await Task.WhenAll(servers.Select(s => s.StopAcceptingForHandOverAsync())).ConfigureAwait(false);
        await resources.TelemetryPort.ReleaseAsync().ConfigureAwait(false);

        resources.Release();
        channel.Send(HandOverKind.Released, []);
        _logger.LogInformation("Upgrade: pid {Pid} serves on every endpoint; this host stopped accepting, let go of its pidfile and control socket, and drains", child.Id);

        step("move connections");
        var moves = await connections.SendAsync(channel, servers).ConfigureAwait(false);
        return new UpgradeResult(true, child.Id, $"upgraded: pid {child.Id} ({build}) serves now; {moves}; pid {Environment.ProcessId} drains what stayed and exits");
    }

    private static (int Version, string Build) ReadHello(HandOverMessage hello)
    {
        try
        {
            using var reader = hello.Reader();
            if (reader.ReadString() != HandOverProtocol.Magic)
            {
                throw new InvalidDataException("not a PluggableNet hand-over Hello");
            }

            var version = reader.ReadInt32();
            _ = reader.ReadInt32();
            return (version, reader.ReadString());
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("a Hello too short to read");
        }
    }

    private async Task<string> FailureAsync(Process child, bool timedOut, TimeSpan timeout, string step, Exception exception)
    {
        // A new host that closed the channel is exiting: give it a moment, so the reason is its exit code.
        if (!timedOut)
        {
            await WaitForExitAsync(child, TimeSpan.FromSeconds(3)).ConfigureAwait(false);
        }

        if (child.HasExited)
        {
            return $"the new host (pid {child.Id}) exited ({NewHostCommand.DescribeExit(child.ExitCode)}) before it could {step}; see its log";
        }

        KillIfRunning(child);
        _logger.LogDebug(exception, "Upgrade failure in detail");
        return timedOut
            ? $"the new host (pid {child.Id}) did not {step} within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; it was killed"
            : $"the hand-over with pid {child.Id} broke while waiting for it to {step} ({exception.Message}); it was killed";
    }

    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The hand-over already ended.
        }
    }

    private static async Task WaitForExitAsync(Process child, TimeSpan timeout)
    {
        try
        {
            using var cancellation = new CancellationTokenSource(timeout);
            await child.WaitForExitAsync(cancellation.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Still running; the caller decides.
        }
    }

    private static void KillIfRunning(Process child)
    {
        try
        {
            if (!child.HasExited)
            {
                // It may hold copies of the sockets and accept on them: nobody must be left with it.
                child.Kill(entireProcessTree: true);
                child.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Gone already.
        }
    }
}
