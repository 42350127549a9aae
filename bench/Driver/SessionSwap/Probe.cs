using System.Diagnostics;
using System.Net.Sockets;

namespace PluggableNet.Bench.Driver.SessionSwap;

/// <summary>
/// One session sending <c>NICK p{n}</c> back to back on its own thread, each request timed from its send to its whole
/// answer (Stopwatch ticks) and the answer checked. Nothing is allocated per request; the log starts large enough for
/// a default run (about 50,000 requests a probe), so it does not grow (a large allocation) while timing.
/// </summary>
internal sealed class Probe : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _request;
    private readonly byte[] _expected;
    private readonly byte[] _buffer = new byte[256];
    private readonly Thread _thread;
    private long[] _starts = new long[1 << 18];
    private long[] _ends = new long[1 << 18];
    private int _count;
    private volatile bool _stopping;

    public Probe(int port, int number, TimeSpan timeout)
    {
        var nick = "p" + number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _socket = ChatWire.Connect(port, timeout);
        _request = ChatWire.Frames("NICK " + nick);
        _expected = System.Text.Encoding.UTF8.GetBytes("you are " + nick);
        _thread = new Thread(Run) { IsBackground = true, Name = "probe " + nick };
    }

    /// <summary>Answers that were not <c>you are p{n}</c>.</summary>
    public long WrongAnswers { get; private set; }

    /// <summary>Why the probe stopped early (the connection failed), or null.</summary>
    public string? Failure { get; private set; }

    public void Start() => _thread.Start();

    /// <summary>Stops after the request in flight; false when the thread did not end within <paramref name="timeout"/>.</summary>
    public bool Stop(TimeSpan timeout)
    {
        _stopping = true;
        return _thread.Join(timeout);
    }

    /// <summary>Every request's (send, answer) timestamps; read after <see cref="Stop"/>.</summary>
    public IEnumerable<(long Start, long End)> Requests()
    {
        for (var i = 0; i < _count; i++)
        {
            yield return (_starts[i], _ends[i]);
        }
    }

    public void Dispose() => _socket.Dispose();

    private void Run()
    {
        try
        {
            while (!_stopping)
            {
                if (_count == _starts.Length)
                {
                    Array.Resize(ref _starts, _count * 2);
                    Array.Resize(ref _ends, _count * 2);
                }

                var start = Stopwatch.GetTimestamp();
                ChatWire.Send(_socket, _request);
                var length = ChatWire.Receive(_socket, _buffer);
                var end = Stopwatch.GetTimestamp();
                if (!_buffer.AsSpan(0, length).SequenceEqual(_expected))
                {
                    WrongAnswers++;
                }

                _starts[_count] = start;
                _ends[_count] = end;
                _count++;
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
        {
            Failure = ex.Message;
        }
    }
}
