namespace PluggableNet.Tests.PluginKit;

/// <summary>What the host could not load fails the plugin's build, with a message that names the cause and the fix.</summary>
[Collection(KitCollection.Name)]
public sealed class PluginBuildErrorTests(KitPackages kit)
{
    [Fact]
    public async Task AnOlderTargetFrameworkIsABuildError()
    {
        var project = await kit.NewPluginAsync("Old", "--tests", "false");
        Edit(project, "Old.csproj", "<TargetFramework>net10.0</TargetFramework>", "<TargetFramework>net8.0</TargetFramework>");

        var (exitCode, output) = await KitPackages.TryRunAsync(project, ["build"]);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("error PNET001: PluggableNet plugin Old targets net8.0, but the PluggableNet host runs on net10.0 and loads only plugins built for it: set <TargetFramework>net10.0</TargetFramework>.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("CS1705", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASharedAssemblyNewerThanTheHostsIsABuildError()
    {
        var project = await kit.NewPluginAsync("Ahead", "--tests", "false");
        Edit(project, "Ahead.csproj", "<ItemGroup>", """
            <ItemGroup>
                <PackageReference Include="Microsoft.Extensions.Logging.Abstractions" Version="11.0.0" />
            """);

        var (exitCode, output) = await KitPackages.TryRunAsync(project, ["build"]);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("error PNET002: PluggableNet plugin Ahead references ", output, StringComparison.Ordinal);
        Assert.Contains("Microsoft.Extensions.Logging.Abstractions 11.0.0", output, StringComparison.Ordinal);
        Assert.Contains("the PluggableNet host shares its own copy (10.0.", output, StringComparison.Ordinal);
        Assert.Contains("Reference version 10.0.x at most", output, StringComparison.Ordinal);
    }

    private static void Edit(string project, string file, string from, string to)
    {
        var path = Path.Combine(project, file);
        var text = File.ReadAllText(path);
        Assert.Contains(from, text, StringComparison.Ordinal);
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
    }
}
