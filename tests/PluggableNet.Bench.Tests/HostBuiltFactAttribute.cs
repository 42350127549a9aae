namespace PluggableNet.Bench.Tests;

/// <summary>
/// A fact about the host itself: skipped, with the reason, when this test project runs before the host is built (a
/// solution-wide <c>dotnet test</c> builds projects in parallel); the other suites' host parts step back the same way.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class HostBuiltFactAttribute : FactAttribute
{
    public HostBuiltFactAttribute()
    {
        if (TestPaths.HostDll is null)
        {
            Skip = $"the host is not built ({PluggableNet.Bench.Driver.RepoPaths.DefaultHostDll}): dotnet build src/Host";
        }
    }
}
