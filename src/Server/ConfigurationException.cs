namespace PluggableNet.Server;

/// <summary>Invalid configuration; each message names the key at fault. Reported at startup, exit code 2.</summary>
public sealed class ConfigurationException(IReadOnlyList<string> errors)
    : Exception("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
