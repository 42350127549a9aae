using PluggableNet.Server.Transport.Sockets;

namespace PluggableNet.UnitTests.Transport;

/// <summary>The runtime's socket event threads as InlineCompletions counts them: it inlines TLS completions only with one per processor.</summary>
public sealed class InlineCompletionsTests
{
    [Fact]
    public void AChosenThreadCountIsTaken() =>
        Assert.Equal(7, InlineCompletions.EventThreads(name => name == InlineCompletions.ThreadCountVariable ? "7" : null));

    [Fact]
    public void InlineCompletionsForEverySocketMeanOneThreadPerProcessor() =>
        Assert.Equal(Environment.ProcessorCount, InlineCompletions.EventThreads(name => name == "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS" ? "1" : null));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("many")]
    public void OtherwiseTheRuntimesDefaultIsOneThreadPerThirtyProcessors(string? value)
    {
        var expected = Math.Max(1, (int)Math.Round(Environment.ProcessorCount / (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture is System.Runtime.InteropServices.Architecture.Arm64 or System.Runtime.InteropServices.Architecture.Arm ? 8.0 : 30.0)));
        Assert.Equal(expected, InlineCompletions.EventThreads(name => name == InlineCompletions.ThreadCountVariable ? value : null));
    }
}
