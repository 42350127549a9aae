namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>The plugin threw in its worker process: only the exception's type name crosses over (as v2 reports it).</summary>
internal sealed class WorkerPluginException(string typeName) : Exception($"the plugin threw {typeName} in its worker process")
{
    public string TypeName { get; } = typeName;
}
