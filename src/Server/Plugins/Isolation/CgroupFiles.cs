using System.Globalization;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// Reading what the kernel says about cgroups: <c>/proc/self/mountinfo</c> (where the hierarchies are mounted) and
/// <c>/proc/self/cgroup</c> (where this process sits in each). Pure parsing of lines, so it is tested with strings.
/// </summary>
internal static class CgroupFiles
{
    /// <summary>One cgroup mount: its root inside the hierarchy, its mount point, whether it is cgroup2, its options.</summary>
    internal readonly record struct Mount(string Root, string MountPoint, bool IsV2, string[] Options);

    /// <summary>
    /// A mountinfo line's cgroup mount, or null for any other filesystem: "36 25 0:31 / /sys/fs/cgroup/memory rw,relatime
    /// shared:15 - cgroup cgroup rw,memory" (optional fields before " - ", then type, source, super options).
    /// </summary>
    public static Mount? ParseMount(string line)
    {
        var separator = line.IndexOf(" - ", StringComparison.Ordinal);
        if (separator < 0)
        {
            return null;
        }

        var fields = line[..separator].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var tail = line[(separator + 3)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 5 || tail.Length < 1 || tail[0] is not ("cgroup" or "cgroup2"))
        {
            return null;
        }

        var options = tail.Length >= 3 ? tail[2].Split(',') : [];
        return new Mount(Unescape(fields[3]), Unescape(fields[4]), tail[0] == "cgroup2", options);
    }

    /// <summary>
    /// This process's path in the hierarchy of a /proc/self/cgroup line: "0::/system.slice/x.service" for cgroup2
    /// (<paramref name="controller"/> null), "4:memory:/a/b" (or "4:cpu,memory:/a/b") for a v1 controller.
    /// </summary>
    public static string? ParseMembership(string line, string? controller)
    {
        var first = line.IndexOf(':');
        var second = first < 0 ? -1 : line.IndexOf(':', first + 1);
        if (second < 0)
        {
            return null;
        }

        var controllers = line.AsSpan(first + 1, second - first - 1);
        var path = line[(second + 1)..];
        if (controller is null)
        {
            return line.AsSpan(0, first) is "0" && controllers.IsEmpty ? path : null;
        }

        foreach (var range in controllers.Split(','))
        {
            if (controllers[range].SequenceEqual(controller))
            {
                return path;
            }
        }

        return null;
    }

    /// <summary>
    /// The directory of <paramref name="path"/> (this process's cgroup) under <paramref name="mount"/>, or null when the
    /// mount does not show it (a mount of a subtree that does not hold this process).
    /// </summary>
    public static string? Directory(Mount mount, string path)
    {
        var root = mount.Root.TrimEnd('/');
        if (root.Length > 0 && !(path == root || path.StartsWith(root + "/", StringComparison.Ordinal)))
        {
            return null;
        }

        var relative = path[root.Length..].Trim('/');
        return relative.Length == 0 ? mount.MountPoint : Path.Combine(mount.MountPoint, relative);
    }

    /// <summary>Whether the space-separated list <paramref name="text"/> (cgroup.controllers, subtree_control) holds <paramref name="name"/>.</summary>
    public static bool ListHas(string text, string name) => text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Contains(name, StringComparer.Ordinal);

    /// <summary>The number after <paramref name="key"/> in a "key value" file (memory.events, memory.oom_control); 0 when absent.</summary>
    public static long KeyedValue(string text, string key)
    {
        foreach (var line in text.Split('\n'))
        {
            var space = line.IndexOf(' ');
            if (space > 0 && line.AsSpan(0, space).SequenceEqual(key) && long.TryParse(line.AsSpan(space + 1).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return 0;
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as three octal digits ("\040").</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var text = new System.Text.StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field.AsSpan(i + 1, 3)))
            {
                text.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                text.Append(field[i]);
            }
        }

        return text.ToString();
    }

    private static bool IsOctal(ReadOnlySpan<char> digits) => digits.Length == 3 && digits[0] is >= '0' and <= '7' && digits[1] is >= '0' and <= '7' && digits[2] is >= '0' and <= '7';
}
