using System.Net;

namespace PluggableNet.Client;

/// <summary>
/// One endpoint: its connection slots (opened as load needs them) and whether it is down. A failing endpoint is left
/// out for a backoff that doubles with each failure in a row, then tried again; a successful connect resets it.
/// </summary>
internal sealed class EndpointState
{
    private readonly object _lock = new();
    private readonly ClientConnection?[] _slots;
    private readonly Task<ClientConnection>?[] _connecting;
    private long _downUntil;
    private long _downForMs;

    public EndpointState(EndPoint endPoint, int index, int connections)
    {
        EndPoint = endPoint;
        Index = index;
        Name = endPoint is DnsEndPoint dns ? $"{dns.Host}:{dns.Port}" : endPoint.ToString() ?? "?";
        _slots = new ClientConnection?[connections];
        _connecting = new Task<ClientConnection>?[connections];
    }

    public EndPoint EndPoint { get; }

    public int Index { get; }

    public ulong Bit => 1UL << Index;

    public string Name { get; }

    /// <summary><see cref="Environment.TickCount64"/> until which the endpoint is left out (0 when it is up).</summary>
    public long DownUntil => Volatile.Read(ref _downUntil);

    public bool IsDown(long now) => now < DownUntil;

    /// <summary>Requests awaiting an answer on this endpoint's connections.</summary>
    public int Pending
    {
        get
        {
            var pending = 0;
            for (var i = 0; i < _slots.Length; i++)
            {
                pending += Volatile.Read(ref _slots[i])?.Pending ?? 0;
            }

            return pending;
        }
    }

    /// <summary>
    /// The open connection with the fewest requests waiting, or null if none is open. <paramref name="emptySlot"/> is
    /// a slot worth opening (-1 if none): one is free and every open connection already has requests waiting.
    /// </summary>
    public ClientConnection? Pick(out int emptySlot)
    {
        ClientConnection? best = null;
        var bestPending = int.MaxValue;
        var free = -1;
        for (var i = 0; i < _slots.Length; i++)
        {
            var connection = Volatile.Read(ref _slots[i]);
            if (connection is null || !connection.Usable)
            {
                if (free < 0)
                {
                    free = i;
                }

                continue;
            }

            var pending = connection.Pending;
            if (pending < bestPending)
            {
                best = connection;
                bestPending = pending;
            }
        }

        emptySlot = best is not null && bestPending == 0 ? -1 : free;
        return best;
    }

    /// <summary>The connection in <paramref name="slot"/>, opened with <paramref name="connect"/> if needed; callers share one attempt.</summary>
    public Task<ClientConnection> ConnectionAsync(int slot, Func<EndpointState, Task<ClientConnection>> connect)
    {
        lock (_lock)
        {
            if (_slots[slot] is { Usable: true } open)
            {
                return Task.FromResult(open);
            }

            if (_connecting[slot] is { IsCompleted: false } attempt)
            {
                return attempt;
            }

            var task = FillAsync(slot, connect);
            _connecting[slot] = task;
            return task;
        }
    }

    /// <summary>Any free slot, or -1.</summary>
    public int FreeSlot()
    {
        for (var i = 0; i < _slots.Length; i++)
        {
            if (Volatile.Read(ref _slots[i]) is not { Usable: true })
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Frees the slot of <paramref name="connection"/> (it closed, or takes no new requests).</summary>
    public void Remove(ClientConnection connection)
    {
        lock (_lock)
        {
            for (var i = 0; i < _slots.Length; i++)
            {
                if (ReferenceEquals(_slots[i], connection))
                {
                    _slots[i] = null;
                }
            }
        }
    }

    /// <summary>Leaves the endpoint out for the next backoff step; returns how long.</summary>
    public TimeSpan MarkDown(long now, TimeSpan first, TimeSpan max)
    {
        lock (_lock)
        {
            var downFor = _downForMs == 0 ? (long)first.TotalMilliseconds : Math.Min(_downForMs * 2, (long)max.TotalMilliseconds);
            _downForMs = downFor;
            Volatile.Write(ref _downUntil, now + downFor);
            return TimeSpan.FromMilliseconds(downFor);
        }
    }

    /// <summary>A connect succeeded: the endpoint is up. True if it had been marked down.</summary>
    public bool MarkUp()
    {
        lock (_lock)
        {
            var wasDown = _downForMs != 0;
            _downForMs = 0;
            Volatile.Write(ref _downUntil, 0);
            return wasDown;
        }
    }

    private async Task<ClientConnection> FillAsync(int slot, Func<EndpointState, Task<ClientConnection>> connect)
    {
        // Yield first so the attempt is registered before it can complete.
        await Task.Yield();
        var connection = await connect(this).ConfigureAwait(false);
        lock (_lock)
        {
            _slots[slot] = connection;
        }

        return connection;
    }
}
