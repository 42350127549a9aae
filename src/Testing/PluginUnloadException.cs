namespace PluggableNet.Testing;

/// <summary>A disposed plugin's load context was not collected; the message names what usually keeps one alive.</summary>
public sealed class PluginUnloadException(string message) : Exception(message);
