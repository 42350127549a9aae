using System.Buffers;

namespace PluggableNet.Plugins.Reverse;

/// <summary>The original nbNet demo logic: answers with the payload reversed byte by byte.</summary>
public sealed class ReversePlugin : ILogicPlugin
{
    /// <inheritdoc />
    public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
    {
        var destination = answer.GetSpan(request.Length)[..request.Length];
        request.CopyTo(destination);
        destination.Reverse();
        answer.Advance(request.Length);
    }
}
