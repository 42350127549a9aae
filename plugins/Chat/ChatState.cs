namespace PluggableNet.Plugins.Chat;

/// <summary>One session's state: data only, so a swap can write it out and the next version read it in.</summary>
/// <param name="Nick">The nickname its messages are signed with.</param>
public sealed record ChatState(string Nick);
