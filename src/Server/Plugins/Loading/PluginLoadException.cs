namespace PluggableNet.Server.Plugins;

/// <summary>A plugin could not be loaded; the message says which file and why, for the operator.</summary>
public sealed class PluginLoadException(string message, Exception? inner = null) : Exception(message, inner);
