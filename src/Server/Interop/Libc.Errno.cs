namespace PluggableNet.Server.Interop;

/// <summary>The errno values the host tells apart, all in one place.</summary>
internal static partial class Libc
{
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;

    /// <summary>What flock reports for a lock held elsewhere; the same number as <see cref="EAGAIN"/> on Linux.</summary>
    public const int EWOULDBLOCK = EAGAIN;

    public const int ENOMEM = 12;
    public const int EFAULT = 14;
    public const int EINVAL = 22;
    public const int ENFILE = 23;
    public const int EMFILE = 24;

    /// <summary>A symbolic link met where <see cref="O_NOFOLLOW"/> refuses one.</summary>
    public const int ELOOP = 40;

    public const int ENOTSOCK = 88;
    public const int ECONNABORTED = 103;
    public const int ENOBUFS = 105;
}
