namespace PluggableNet.Client;

/// <summary>Per-request overrides of the client's options; <c>default</c> changes nothing.</summary>
/// <param name="Idempotent">
/// Whether this request is safe to process twice, overriding <see cref="PluggableNetClientOptions.Idempotent"/>:
/// if its connection dies after it was sent, an idempotent request is sent once more on another connection (another
/// endpoint when there is one) instead of failing.
/// </param>
/// <param name="Timeout">How long to wait for the answer, overriding <see cref="PluggableNetClientOptions.RequestTimeout"/>.</param>
public readonly record struct RequestOptions(bool? Idempotent = null, TimeSpan? Timeout = null);
