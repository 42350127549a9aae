using PluggableNet.Server.Interop;

namespace PluggableNet.Server.Transport.Epoll;

/// <summary>
/// The few kernel counters the reactor scaler samples, read from <c>/proc</c> into one reused buffer so sampling
/// allocates nothing (the host's steady state is 0 B per request, and the scaler runs four times a second).
/// </summary>
internal sealed unsafe class ProcCounters
{
    private const long ClockTicksPerSecond = 100; // USER_HZ: /proc/stat counts in 1/100 s on every Linux ABI.

    private readonly byte[] _buffer = new byte[4096];

    /// <summary>Nanoseconds the thread of <paramref name="schedstatPath"/> spent runnable but waiting for a CPU (schedstat, 2nd field).</summary>
    public long RunQueueWaitNs(string schedstatPath) => Read(schedstatPath) is var length and > 0 ? Field(length, 1) : 0;

    /// <summary>Times the thread was preempted (<c>nonvoluntary_ctxt_switches</c> of its status file).</summary>
    public long InvoluntarySwitches(string statusPath)
    {
        var length = Read(statusPath);
        var text = _buffer.AsSpan(0, Math.Max(length, 0));
        var at = text.IndexOf("nonvoluntary_ctxt_switches:"u8);
        return at < 0 ? 0 : Number(text[(at + "nonvoluntary_ctxt_switches:".Length)..]);
    }

    /// <summary>Idle plus iowait time of all processors since boot, in seconds (first line of /proc/stat).</summary>
    public double IdleCpuSeconds()
    {
        var length = Read("/proc/stat");
        if (length <= 0)
        {
            return 0;
        }

        // "cpu  user nice system idle iowait ...": fields 4 and 5 after the label.
        return (Field(length, 4) + Field(length, 5)) / (double)ClockTicksPerSecond;
    }

    /// <summary>The paths of one thread's counters.</summary>
    public static (string Schedstat, string Status) PathsFor(int tid) =>
        ($"/proc/self/task/{tid}/schedstat", $"/proc/self/task/{tid}/status");

    private int Read(string path)
    {
        var fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            return -1;
        }

        try
        {
            fixed (byte* pointer = _buffer)
            {
                return (int)Libc.read(fd, pointer, (nuint)_buffer.Length);
            }
        }
        finally
        {
            Libc.close(fd);
        }
    }

    /// <summary>The <paramref name="index"/>th whitespace-separated number of the first line (a leading label is field 0 if present).</summary>
    private long Field(int length, int index)
    {
        var text = _buffer.AsSpan(0, length);
        var newline = text.IndexOf((byte)'\n');
        if (newline >= 0)
        {
            text = text[..newline];
        }

        var field = 0;
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && text[i] == (byte)' ')
            {
                i++;
            }

            var start = i;
            while (i < text.Length && text[i] != (byte)' ')
            {
                i++;
            }

            if (i > start)
            {
                if (field == index)
                {
                    return Number(text[start..i]);
                }

                field++;
            }
        }

        return 0;
    }

    private static long Number(ReadOnlySpan<byte> text)
    {
        var i = 0;
        while (i < text.Length && (text[i] == (byte)' ' || text[i] == (byte)'\t'))
        {
            i++;
        }

        long value = 0;
        while (i < text.Length && text[i] is >= (byte)'0' and <= (byte)'9')
        {
            value = (value * 10) + (text[i] - '0');
            i++;
        }

        return value;
    }
}
