namespace PluggableNet.Server.Reload;

/// <summary>The names of what asked for a swap, as they appear in the swap log line.</summary>
internal static class ReloadTrigger
{
    /// <summary>The active plugin's folder changed (<c>Logic:HotReload</c>).</summary>
    public const string File = "file";

    /// <summary><c>Logic:Plugin</c> or the active plugin's <c>Plugins:&lt;Name&gt;</c> section changed.</summary>
    public const string Config = "config";

    /// <summary>SIGHUP: configuration and plugin reloaded on request.</summary>
    public const string Signal = "signal";
}
