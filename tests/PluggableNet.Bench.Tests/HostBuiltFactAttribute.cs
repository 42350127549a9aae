namespace PluggableNet.Bench.Tests;

/// <summary>
/// A fact about the host itself: skipped, with the reason, when the host is not built. The project references the host
/// so that a build of this project builds it first; before it did, a solution-wide <c>dotnet test</c>, which builds
/// projects in parallel, could run these tests before the host was built and skip them.
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
