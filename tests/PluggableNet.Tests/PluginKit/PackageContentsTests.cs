using System.IO.Compression;
using System.Xml.Linq;

namespace PluggableNet.Tests.PluginKit;

/// <summary>
/// What the packages hold, read from the .nupkg files this build packs: the test kit carries no executable and reaches
/// the server's loader through the PluggableNet.Server package; every library ships its own assembly only.
/// </summary>
[Collection(KitCollection.Name)]
public sealed class PackageContentsTests(KitPackages kit)
{
    [Fact]
    public void TheTestKitShipsNoExecutableAndDependsOnTheServerLibrary()
    {
        var (files, dependencies) = Read("PluggableNet.Testing");

        Assert.DoesNotContain(files, f => f.Contains("PluggableNet.Host", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("lib/net10.0/PluggableNet.Testing.dll", files);
        Assert.Contains("PluggableNet.Server", dependencies);
        Assert.Contains("PluggableNet.Abstractions", dependencies);
    }

    [Theory]
    [InlineData("PluggableNet.Server", "PluggableNet.Protocol")]
    [InlineData("PluggableNet.Protocol", null)]
    public void EachLibraryShipsItsOwnAssemblyAndNamesTheRestAsDependencies(string package, string? dependency)
    {
        var (files, dependencies) = Read(package);

        Assert.Equal([$"lib/net10.0/{package}.dll"], files.Where(f => f.EndsWith(".dll", StringComparison.Ordinal)));
        if (dependency is not null)
        {
            Assert.Contains(dependency, dependencies);
        }
    }

    private (List<string> Files, List<string> Dependencies) Read(string package)
    {
        using var archive = ZipFile.OpenRead(Path.Combine(kit.Feed, $"{package}.{kit.Version}.nupkg"));
        var files = archive.Entries.Select(e => e.FullName).ToList();
        var nuspec = archive.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = nuspec.Open();
        var dependencies = XDocument.Load(stream).Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => (string)e.Attribute("id")!).ToList();
        return (files, dependencies);
    }
}
