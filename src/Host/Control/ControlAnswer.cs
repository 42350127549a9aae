namespace PluggableNet.Host.Control;

/// <summary>A command's answer: one line, and what to do once it is sent (an upgraded host begins its drain).</summary>
internal readonly record struct ControlAnswer(string Line, Action? AfterReply = null);
