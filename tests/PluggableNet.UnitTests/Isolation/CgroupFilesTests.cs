using PluggableNet.Server.Plugins.Isolation;

namespace PluggableNet.UnitTests.Isolation;

/// <summary>Reading /proc/self/mountinfo and /proc/self/cgroup lines, as a hybrid machine and a pure v2 one write them.</summary>
public sealed class CgroupFilesTests
{
    [Fact]
    public void AV1MemoryMountIsFoundWithItsOptions()
    {
        var mount = CgroupFiles.ParseMount("35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory");

        Assert.NotNull(mount);
        Assert.Equal(("/", "/sys/fs/cgroup/memory", false), (mount.Value.Root, mount.Value.MountPoint, mount.Value.IsV2));
        Assert.Contains("memory", mount.Value.Options);
    }

    [Fact]
    public void ACgroup2MountWithOptionalFieldsIsFound()
    {
        var mount = CgroupFiles.ParseMount("29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot");

        Assert.Equal(("/", "/sys/fs/cgroup", true), (mount!.Value.Root, mount.Value.MountPoint, mount.Value.IsV2));
    }

    [Theory]
    [InlineData("31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755")]
    [InlineData("22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw")]
    [InlineData("not a mountinfo line")]
    public void OtherFilesystemsAreNotCgroups(string line) => Assert.Null(CgroupFiles.ParseMount(line));

    [Fact]
    public void AnEscapedMountPointIsDecoded() =>
        Assert.Equal("/mnt/my cgroup", CgroupFiles.ParseMount(@"46 27 0:38 / /mnt/my\040cgroup rw - cgroup2 none rw")!.Value.MountPoint);

    [Theory]
    [InlineData("0::/system.slice/pluggablenet.service", null, "/system.slice/pluggablenet.service")]
    [InlineData("0::/", null, "/")]
    [InlineData("4:memory:/process_api/4a25", "memory", "/process_api/4a25")]
    [InlineData("4:cpu,memory:/a/b", "memory", "/a/b")]
    [InlineData("4:memory:/a", null, null)]
    [InlineData("1:cpu:/", "memory", null)]
    [InlineData("9:name=systemd:/", "memory", null)]
    [InlineData("0::/", "memory", null)]
    public void AMembershipLineGivesThePathOfItsHierarchy(string line, string? controller, string? expected) =>
        Assert.Equal(expected, CgroupFiles.ParseMembership(line, controller));

    [Theory]
    [InlineData("/", "/sys/fs/cgroup/memory", "/process_api/x", "/sys/fs/cgroup/memory/process_api/x")]
    [InlineData("/", "/sys/fs/cgroup", "/", "/sys/fs/cgroup")]
    [InlineData("/docker/abc", "/sys/fs/cgroup", "/docker/abc/sub", "/sys/fs/cgroup/sub")]
    [InlineData("/docker/abc", "/sys/fs/cgroup", "/docker/abcd", null)]
    public void ThePathIsTakenUnderTheMountsRoot(string root, string mountPoint, string path, string? expected) =>
        Assert.Equal(expected, CgroupFiles.Directory(new CgroupFiles.Mount(root, mountPoint, true, []), path));

    [Fact]
    public void KeyedFilesAreRead()
    {
        Assert.Equal(2, CgroupFiles.KeyedValue("low 0\nhigh 0\nmax 14\noom 2\noom_kill 2\noom_group_kill 0\n", "oom_kill"));
        Assert.Equal(0, CgroupFiles.KeyedValue("oom_kill_disable 0\nunder_oom 0\n", "oom_kill"));
        Assert.True(CgroupFiles.ListHas("cpuset cpu io memory pids\n", "memory"));
        Assert.False(CgroupFiles.ListHas("hugetlb\n", "memory"));
    }
}
