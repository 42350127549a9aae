namespace PluggableNet.Server.Diagnostics;

/// <summary>How a plugin call failed; the <c>error.type</c> tag of <c>pluggablenet.plugin.faults</c>.</summary>
internal enum PluginFaultKind
{
    /// <summary>The plugin threw (or its offloaded task faulted or was cancelled).</summary>
    Exception,

    /// <summary>The answer was longer than the framing can express.</summary>
    AnswerTooLarge,
}
