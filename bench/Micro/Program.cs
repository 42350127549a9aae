using BenchmarkDotNet.Running;

namespace PluggableNet.Micro;

/// <summary>Entry point: <c>dotnet run -c Release --project bench/Micro -- --filter '*'</c> (any BenchmarkDotNet arguments).</summary>
public static class MicroProgram
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(MicroProgram).Assembly).Run(args);
}
