// PluggableNet build script: `dotnet tool restore && dotnet cake [--target=Build|Test|Bench|Default]`.

///////////////////////////////////////////////////////////////////////////////
// Arguments
///////////////////////////////////////////////////////////////////////////////
var target = Argument("target", "Default");
var configuration = Argument("configuration", "Release");
var benchArgs = Argument("bench-args", "");

///////////////////////////////////////////////////////////////////////////////
// Paths
///////////////////////////////////////////////////////////////////////////////
var solution = File("./PluggableNet.sln");
var artifacts = Directory("./artifacts");
var benchResults = Directory("./bench/results");

///////////////////////////////////////////////////////////////////////////////
// Tasks
///////////////////////////////////////////////////////////////////////////////
Task("Clean")
    .Does(() =>
{
    CleanDirectory(artifacts);
});

Task("Build")
    .IsDependentOn("Clean")
    .Does(() =>
{
    DotNetBuild(solution, new DotNetBuildSettings
    {
        Configuration = configuration,
    });
});

Task("Test")
    .IsDependentOn("Build")
    .Does(() =>
{
    // One build above; the tests run on it.
    DotNetTest(solution, new DotNetTestSettings
    {
        Configuration = configuration,
        NoBuild = true,
        Loggers = new[] { "trx" },
        ResultsDirectory = artifacts + Directory("test-results"),
    });
});

Task("Bench")
    .IsDependentOn("Build")
    .Does(() =>
{
    // The driver starts every server itself, alternating rounds, and writes results.md, results.json and chart.png.
    DotNetRun("./bench/Driver/PluggableNet.Bench.Driver.csproj", new ProcessArgumentBuilder()
        .Append("--out").AppendQuoted(MakeAbsolute(benchResults).FullPath)
        .Append(benchArgs),
        new DotNetRunSettings { Configuration = configuration, NoBuild = true });
});

Task("Default")
    .IsDependentOn("Test");

RunTarget(target);
