namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// A request could not be answered because the plugin's worker process is gone (crashed, killed, or not restarted
/// after too many crashes): v2 answers it ERROR <c>PLUGIN_UNAVAILABLE</c>, v1 closes the connection.
/// </summary>
internal sealed class PluginUnavailableException(string message) : Exception(message);
