namespace PluggableNet.Bench.Driver;

/// <summary>The <c>dotnet</c> executable used to start server dlls: the one running us when possible.</summary>
internal static class DotnetHost
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        var self = Environment.ProcessPath;
        if (self is not null && System.IO.Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        // Set by the dotnet CLI for the processes it starts (dotnet test, dotnet run).
        var fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return string.IsNullOrEmpty(fromCli) ? "dotnet" : fromCli;
    }
}
