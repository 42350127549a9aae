using System.Buffers;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace PluggableNet.Bench.Plugins.Probe;

/// <summary>
/// The protocol-v2 benchmark's plugin: answers Reverse, like every benchmark server, but
/// <list type="bullet">
/// <item>a request whose payload starts with <c>slow</c> is answered only after <c>Plugins:Probe:SlowMs</c> (default
/// 100 ms): the head-of-line benchmark's one slow call among fast ones;</item>
/// <item>with <c>Plugins:Probe:Ledger</c> set, every request the plugin processes has its payload (the client's unique
/// token) appended as one line to that file, so the drain benchmark can count what was processed twice.</item>
/// </list>
/// <c>Plugins:Probe:Offloaded</c> (default true) picks the execution: offloaded calls answer out of order on v2.
/// </summary>
public sealed class ProbePlugin : ILogicPlugin, IDisposable
{
    private static readonly byte[] _slowMarker = "slow"u8.ToArray();

    private readonly TimeSpan _slow;
    private readonly StreamWriter? _ledger;
    private readonly Lock _ledgerLock = new();

    public ProbePlugin(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Execution = bool.TryParse(configuration["Offloaded"], out var offloaded) && !offloaded ? PluginExecution.Inline : PluginExecution.Offloaded;
        _slow = TimeSpan.FromMilliseconds(int.TryParse(configuration["SlowMs"], out var ms) ? ms : 100);
        if (configuration["Ledger"] is { Length: > 0 } path)
        {
            // Appended, so a second host (or a restarted one) may write its own file beside it; flushed on every line,
            // so what is in the file was processed even if the process dies.
            _ledger = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), new UTF8Encoding(false)) { AutoFlush = true };
        }
    }

    /// <inheritdoc />
    public PluginExecution Execution { get; }

    /// <inheritdoc />
    public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
    {
        Record(request);
        Reverse(request, answer);
    }

    /// <inheritdoc />
    public async ValueTask ProcessAsync(ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, CancellationToken cancellationToken)
    {
        Record(request.Span);
        if (request.Span.StartsWith(_slowMarker))
        {
            await Task.Delay(_slow, cancellationToken).ConfigureAwait(false);
        }

        Reverse(request.Span, answer);
    }

    /// <inheritdoc />
    public void Dispose() => _ledger?.Dispose();

    private static void Reverse(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
    {
        var destination = answer.GetSpan(request.Length)[..request.Length];
        request.CopyTo(destination);
        destination.Reverse();
        answer.Advance(request.Length);
    }

    private void Record(ReadOnlySpan<byte> request)
    {
        if (_ledger is null)
        {
            return;
        }

        var line = Encoding.ASCII.GetString(request);
        lock (_ledgerLock)
        {
            _ledger.WriteLine(line);
        }
    }
}
