using System.Diagnostics;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using PluggableNet.Server.Connections.Handover;

namespace PluggableNet.Host.Upgrade;

/// <summary>
/// One endpoint's connections on their way to the new host: each is sent the moment it detaches, without waiting for
/// the answer to the one before (a round trip per connection made the last of a few dozen wait for all the others'),
/// and one reader takes the answers, which come back in order, closing our copy of each as it is answered. At most
/// <see cref="Window"/> are unanswered at once (each holds a descriptor in flight). Once the channel breaks, every
/// unanswered connection and every one still to send is closed here, as a single unanswered one was before.
/// </summary>
internal sealed class InFlightMoves : IDisposable
{
    /// <summary>Unanswered connections at most: descriptors in flight count against the sender's open-files limit.</summary>
    public const int Window = 64;

    /// <summary>How long the old host waits for the new one to answer one connection before it gives the moves up.</summary>
    private static readonly TimeSpan s_answer = TimeSpan.FromSeconds(10);

    private readonly HandOverChannel _channel;
    private readonly string _endpoint;
    private readonly ILogger _logger;
    private readonly BlockingCollection<ConnectionSnapshot> _sent = [];
    private readonly SemaphoreSlim _window = new(Window, Window);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly long _openedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private readonly Task _answers;
    private volatile bool _broke;
    private int _moved;
    private int _refused;
    private long _firstSentMs = -1;
    private long _lastAnsweredMs = -1;

    public InFlightMoves(HandOverChannel channel, string endpoint, ILogger logger)
    {
        _channel = channel;
        _endpoint = endpoint;
        _logger = logger;
        // A thread of its own: it blocks on the channel, and the pool's threads serve the connections still here.
        _answers = Task.Factory.StartNew(ReadAnswers, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Sends <paramref name="snapshot"/> (ours until answered); false once the channel broke (it is then closed).</summary>
    public async Task<bool> SendAsync(ConnectionSnapshot snapshot)
    {
        await _window.WaitAsync().ConfigureAwait(false);
        if (!_broke)
        {
            try
            {
                var fd = (int)snapshot.Socket!.DangerousGetHandle();
                _channel.Send(HandOverKind.Connection, EndpointPayload.Write(_endpoint, snapshot.Write), [fd]);
                Interlocked.CompareExchange(ref _firstSentMs, _clock.ElapsedMilliseconds, -1);
                _sent.Add(snapshot);
                return true;
            }
            catch (IOException exception)
            {
                Broke(exception);
            }
        }

        snapshot.Dispose();
        _window.Release();
        return false;
    }

    /// <summary>Waits for every answer (or the channel's break): moved, refused, and whether the channel broke.</summary>
    public async Task<(int Moved, int Refused, bool ChannelBroke)> CompleteAsync()
    {
        _sent.CompleteAdding();
        await _answers.ConfigureAwait(false);
        if (_moved + _refused > 0)
        {
            _logger.LogInformation(
                "Upgrade: endpoint {Endpoint}: {Moved} connection(s) moved; first sent at {First} ms, last answered at {Last} ms after the batch opened (at unix ms {Opened})",
                _endpoint, _moved, _firstSentMs, _lastAnsweredMs, _openedUnixMs);
        }

        return (_moved, _refused, _broke);
    }

    public void Dispose()
    {
        _sent.Dispose();
        _window.Dispose();
    }

    private void ReadAnswers()
    {
        foreach (var snapshot in _sent.GetConsumingEnumerable())
        {
            using (snapshot)
            {
                try
                {
                    if (!_broke)
                    {
                        if (Answer(snapshot))
                        {
                            _moved++;
                        }
                        else
                        {
                            _refused++;
                        }

                        _lastAnsweredMs = _clock.ElapsedMilliseconds;
                    }
                }
                catch (Exception exception) when (exception is IOException or TimeoutException or InvalidDataException)
                {
                    Broke(exception);
                }
                finally
                {
                    _window.Release();
                }
            }
        }
    }

    private bool Answer(ConnectionSnapshot snapshot)
    {
        var answer = _channel.Receive(s_answer);
        answer.CloseDescriptors();
        if (answer.Kind != HandOverKind.ConnectionAdopted)
        {
            throw new InvalidDataException($"expected ConnectionAdopted, got {answer.Kind}");
        }

        using var reader = answer.Reader();
        if (reader.ReadBoolean())
        {
            return true;
        }

        _logger.LogWarning("Upgrade: the new host did not adopt connection {Id} of endpoint {Endpoint} ({Problem}); it is closed", snapshot.PreviousId, _endpoint, reader.ReadString());
        return false;
    }

    private void Broke(Exception exception)
    {
        if (!_broke)
        {
            // The new host died or stopped answering: what it was sent and did not answer closes with our copy (its own
            // died with it, or it serves it); nothing more is sent, and the rest drain here.
            _broke = true;
            _logger.LogWarning("Upgrade: the hand-over channel broke while moving connections ({Reason}); the rest stay to drain here", exception.Message);
        }
    }
}
