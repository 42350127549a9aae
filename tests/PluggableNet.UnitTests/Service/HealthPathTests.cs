using PluggableNet.Host.Telemetry;

namespace PluggableNet.UnitTests.Service;

public sealed class HealthPathTests
{
    [Theory]
    [InlineData("/readyz", "", false, null)]
    [InlineData("/healthz", "", true, null)]
    [InlineData("/readyz/Public", "", false, "Public")]
    [InlineData("/healthz/Admin", "", true, "Admin")]
    [InlineData("/probe/readyz/Public", "/probe", false, "Public")]
    public void AHealthPathNamesTheCheckAndOptionallyOneEndpoint(string path, string pathBase, bool live, string? endpoint)
    {
        Assert.Equal(new HealthPath(live, endpoint), HealthPath.Parse(path, pathBase));
    }

    [Theory]
    [InlineData("/readyzz", "")]
    [InlineData("/healthzx", "")]
    [InlineData("/readyz/", "")]
    [InlineData("/readyz/A/B", "")]
    [InlineData("/metrics", "")]
    [InlineData("/readyz", "/probe")]
    public void AnythingElseIsNoHealthPath(string path, string pathBase)
    {
        Assert.Null(HealthPath.Parse(path, pathBase));
    }

    [Theory]
    [InlineData(false, true, false, false, true, "ready")]
    [InlineData(false, true, true, false, false, "draining")]
    [InlineData(false, true, true, true, false, "starting")]
    [InlineData(true, true, true, true, true, "starting")]
    [InlineData(true, false, false, false, false, "reactors stalled")]
    public void TheAnswerOfACheck(bool live, bool isLive, bool notReady, bool starting, bool ok, string text)
    {
        Assert.Equal((ok, text), new HealthPath(live, null).Answer(starting, isLive, !notReady));
    }
}
