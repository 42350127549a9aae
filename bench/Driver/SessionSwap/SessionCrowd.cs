using System.Diagnostics;
using System.Net.Sockets;

namespace PluggableNet.Bench.Driver.SessionSwap;

/// <summary>
/// The sessions that hold state: connection i is nicknamed <c>s{i}</c> and in room <c>r{i mod rooms}</c>, so every one
/// has per-session state and a group membership for the swap to move. They send nothing after the set-up; plain
/// blocking sockets with no buffer of their own keep 10,000 of them cheap.
/// </summary>
internal sealed class SessionCrowd : IDisposable
{
    // Connected, then asked, a batch at a time: the host's accept queue never overflows (a dropped SYN costs a second).
    private const int Batch = 100;

    private readonly List<Socket> _sockets = [];

    private SessionCrowd(int rooms) => Rooms = rooms;

    public int Count => _sockets.Count;

    public int Rooms { get; }

    public static string Nick(int session) => "s" + session.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string Room(int session, int rooms) => "r" + (session % rooms).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Opens the sessions; NICK and JOIN go in one send per connection, both answers are checked.</summary>
    public static SessionCrowd Open(int port, int sessions, int rooms, TimeSpan timeout)
    {
        var crowd = new SessionCrowd(rooms);
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var buffer = new byte[4096];
        try
        {
            for (var first = 0; first < sessions; first += Batch)
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw new TimeoutException($"{first:N0} of {sessions:N0} sessions opened in {timeout.TotalSeconds:0} s");
                }

                var end = Math.Min(sessions, first + Batch);
                for (var i = first; i < end; i++)
                {
                    crowd._sockets.Add(ChatWire.Connect(port, timeout));
                }

                for (var i = first; i < end; i++)
                {
                    ChatWire.Send(crowd._sockets[i], ChatWire.Frames("NICK " + Nick(i), "JOIN " + Room(i, rooms)));
                }

                for (var i = first; i < end; i++)
                {
                    Expect(ChatWire.ReceiveText(crowd._sockets[i], buffer), "you are " + Nick(i), i);
                    Expect(ChatWire.ReceiveText(crowd._sockets[i], buffer), $"joined {Room(i, rooms)} (", i);
                }
            }

            return crowd;
        }
        catch
        {
            crowd.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Asks <paramref name="samples"/> sessions spread over the crowd to join their room again: "already in" shows their
    /// membership survived every swap. Returns how many were asked and the problems found.
    /// </summary>
    public (int Asked, List<string> Problems) CheckMembership(int samples)
    {
        var problems = new List<string>();
        var asked = 0;
        var buffer = new byte[4096];
        var step = Math.Max(1, Count / Math.Max(1, samples));
        for (var i = 0; i < Count; i += step)
        {
            asked++;
            var answer = ChatWire.Ask(_sockets[i], "JOIN " + Room(i, Rooms), buffer);
            if (answer != "already in " + Room(i, Rooms))
            {
                problems.Add($"session {Nick(i)} asked to join {Room(i, Rooms)} again got \"{answer}\"");
            }
        }

        return (asked, problems);
    }

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _sockets.Clear();
    }

    private static void Expect(string answer, string start, int session)
    {
        if (!answer.StartsWith(start, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"session {session} got \"{answer}\", expected \"{start}…\" (is the host serving the Chat plugin?)");
        }
    }
}
