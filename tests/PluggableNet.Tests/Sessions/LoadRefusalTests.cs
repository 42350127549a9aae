using PluggableNet.Server.Plugins;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Sessions;

/// <summary>A plugin that pushes must say how v1 clients take pushes: without a v1 stream mode it is refused at load, with the reason.</summary>
public sealed class LoadRefusalTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public void APushingPluginWithoutV1StreamModeIsRefusedAtLoad(string transport)
    {
        var directory = RoomPlugin.BuildDirectory(1);
        try
        {
            var source = RoomPlugin.Source(1).Replace("Pushes = true, V1StreamMode = true,", "Pushes = true,", StringComparison.Ordinal);
            Assert.DoesNotContain("V1StreamMode = true", source, StringComparison.Ordinal);
            PluginCompiler.Build(directory, RoomPlugin.Name, source);
            var failure = Assert.Throws<PluginLoadException>(() => TestServer.Start(transport, ("Logic:PluginsPath", directory), ("Logic:Plugin", RoomPlugin.Name)));
            Assert.Contains("SessionOptions.Pushes", failure.Message);
            Assert.Contains("V1StreamMode", failure.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
