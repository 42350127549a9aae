namespace PluggableNet.Server.Reload;

/// <summary>What the folder watcher saw of a change to the watched plugin's folder.</summary>
/// <param name="Plugin">The plugin whose folder changed.</param>
/// <param name="Replaced">A whole folder was renamed into place: complete, to be loaded at once.</param>
/// <param name="Written">The burst included writes to files (a copy in progress?): the stability check applies.</param>
internal readonly record struct PluginFolderChange(string Plugin, bool Replaced, bool Written);
