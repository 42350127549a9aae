namespace PluggableNet.Server.Transport.Tls;

/// <summary>
/// A password from configuration: compared by value (a changed password is a changed setting) but never printed, so a
/// settings record, a log line or a test failure cannot show it.
/// </summary>
internal readonly record struct SecretText(string Value)
{
    public override string ToString() => "(hidden)";
}
