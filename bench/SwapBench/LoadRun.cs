namespace PluggableNet.Bench.SwapBench;

/// <summary>
/// Pipelined load on several connections until stopped; every answer must be one of the versions' answers to its
/// request (never a mix), and any closed connection counts as an error.
/// </summary>
internal sealed class LoadRun(int port, int connections, int depth, IReadOnlyList<PluginVersion> versions)
{
    private readonly CancellationTokenSource _stop = new();
    private long _answers;
    private long _wrong;
    private long _errors;

    public long Answers => Interlocked.Read(ref _answers);

    public long WrongAnswers => Interlocked.Read(ref _wrong);

    public long Errors => Interlocked.Read(ref _errors);

    public Task RunAsync() => Task.WhenAll(Enumerable.Range(0, connections).Select(i => Task.Run(() => DriveAsync(i))));

    public void Stop() => _stop.Cancel();

    private async Task DriveAsync(int index)
    {
        var payloads = Enumerable.Range(0, depth).Select(i => $"load{index}x{i}abc").ToArray();
        var accepted = payloads.Select(p => versions.Select(v => v.Answer(p)).ToHashSet(StringComparer.Ordinal)).ToArray();
        var burst = Frames.AsciiMany(payloads);
        using var connection = new FramedConnection(port);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await connection.SendAsync(burst, CancellationToken.None);
                for (var i = 0; i < depth; i++)
                {
                    var answer = await connection.ReadAsync(CancellationToken.None);
                    if (!accepted[i].Contains(answer))
                    {
                        Interlocked.Increment(ref _wrong);
                    }
                }

                Interlocked.Add(ref _answers, depth);
            }
        }
        catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException)
        {
            Interlocked.Increment(ref _errors);
        }
    }
}
