// PluggableNet build script: `dotnet tool restore && dotnet cake [--target=Build|Test|Bench|Pack|Default]`.

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
var packages = artifacts + Directory("packages");
// What plugin authors consume: the contract with its build logic, the test kit, the `dotnet new` template.
var packableProjects = new[]
{
    File("./src/Abstractions/PluggableNet.Abstractions.csproj"),
    File("./src/Protocol/PluggableNet.Protocol.csproj"),
    File("./src/Server/PluggableNet.Server.csproj"),
    File("./src/Testing/PluggableNet.Testing.csproj"),
    File("./src/Client/PluggableNet.Client.csproj"),
    File("./templates/PluggableNet.Templates.csproj"),
};

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
    // The driver starts every server itself (Release builds), alternating rounds, and writes
    // results.md, results.json and chart.png. Smoke run: --bench-args="--smoke".
    var exit = StartProcess("dotnet", new ProcessSettings
    {
        Arguments = new ProcessArgumentBuilder()
            .Append($"bench/Driver/bin/{configuration}/net10.0/PluggableNet.Bench.Driver.dll")
            .Append("--out").AppendQuoted(MakeAbsolute(benchResults).FullPath)
            .Append(benchArgs),
    });
    if (exit != 0)
    {
        throw new CakeException($"The benchmark driver failed (exit code {exit}).");
    }
});

Task("Pack")
    .IsDependentOn("Build")
    .Does(() =>
{
    // Versioned .nupkg (+ .snupkg) files in artifacts/packages, restorable offline from there.
    foreach (var project in packableProjects)
    {
        DotNetPack(project, new DotNetPackSettings
        {
            Configuration = configuration,
            NoBuild = true,
            OutputDirectory = packages,
        });
    }
});

Task("Default")
    .IsDependentOn("Test");

RunTarget(target);
