using PluggableNet.Server.Plugins;
using PluggableNet.Server.Reload;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Plugins;

public sealed class BuildStampTests : IDisposable
{
    private readonly string _folder = TestPaths.NewTempDirectory("pnet-stamp");

    [Fact]
    public void TwoBuildsOfTheSameVersionAreToldApartByTheirHash()
    {
        var path = Path.Combine(_folder, "Plugin.dll");
        File.WriteAllBytes(path, [1, 2, 3]);
        var first = BuildStamp.Of(path);
        File.WriteAllBytes(path, [1, 2, 4]);
        var second = BuildStamp.Of(path);

        Assert.NotEqual(first, second);
        Assert.Matches(@"^built \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ, sha256 [0-9a-f]{8}$", second);
    }

    [Fact]
    public void AMissingFileSaysSoInsteadOfThrowing() => Assert.Equal("build unreadable", BuildStamp.Of(Path.Combine(_folder, "none.dll")));

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
