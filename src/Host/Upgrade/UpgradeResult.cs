using System.Text.Json.Nodes;

namespace PluggableNet.Host.Upgrade;

/// <summary>What an upgrade did, as the <c>upgrade</c> verb prints it: the new host's pid, or why this host serves on.</summary>
internal sealed record UpgradeResult(bool Upgraded, int? NewPid, string Message)
{
    public static UpgradeResult Failed(string message) => new(false, null, message);

    public string ToJson() => new JsonObject
    {
        ["upgraded"] = Upgraded,
        ["pid"] = NewPid,
        ["message"] = Message,
    }.ToJsonString();

    public static UpgradeResult? FromJson(string line)
    {
        try
        {
            return JsonNode.Parse(line) is JsonObject json && json["message"] is { } message
                ? new UpgradeResult(json["upgraded"]?.GetValue<bool>() ?? false, json["pid"]?.GetValue<int?>(), message.GetValue<string>())
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
