using System.Buffers;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PluggableNet;

namespace Echo;

/// <summary>Answers each request upper-cased, followed by a suffix (setting <c>Plugins:Echo:Suffix</c>, default "!").</summary>
public sealed class EchoPlugin : ILogicPlugin
{
    private readonly byte[] _suffix;

    /// <summary>Built by the host through dependency injection, once per loaded version.</summary>
    /// <param name="logger">The host's logger.</param>
    /// <param name="settings">This plugin's own configuration section, <c>Plugins:Echo</c>.</param>
    public EchoPlugin(ILogger<EchoPlugin> logger, IConfiguration settings)
    {
        var suffix = settings["Suffix"] ?? "!";
        _suffix = Encoding.UTF8.GetBytes(suffix);
        logger.LogInformation("Echo ready; answers end with {Suffix}", suffix);
    }
//#if (offloaded)

    /// <inheritdoc />
    public PluginExecution Execution => PluginExecution.Offloaded;

    /// <inheritdoc />
    public async ValueTask ProcessAsync(ReadOnlyMemory<byte> request, IBufferWriter<byte> answer, CancellationToken cancellationToken)
    {
        // Runs on the thread pool: await the I/O the answer needs here, passing cancellationToken on.
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        Process(request.Span, answer);
    }
//#endif

    /// <inheritdoc />
    public void Process(ReadOnlySpan<byte> request, IBufferWriter<byte> answer)
    {
        // UTF-8 in, UTF-8 out, one character at a time (invalid bytes become U+FFFD); upper-casing a character at most
        // grows it from 2 to 3 bytes, so twice the request is always room enough.
        var span = answer.GetSpan((request.Length * 2) + _suffix.Length);
        var written = 0;
        while (!request.IsEmpty)
        {
            Rune.DecodeFromUtf8(request, out var rune, out var consumed);
            written += Rune.ToUpperInvariant(rune).EncodeToUtf8(span[written..]);
            request = request[consumed..];
        }

        _suffix.CopyTo(span[written..]);
        answer.Advance(written + _suffix.Length);
    }
}
