namespace PluggableNet.Host.Service;

/// <summary>
/// The arguments every verb hands to the configuration: <c>--config FILE</c>, <c>--pidfile</c> (as
/// <c>Service:PidFile</c>) and the configuration overrides the parser left unmatched, such as
/// <c>--Server:Port=19090</c> or <c>--Logic:Plugin Upper</c>.
/// </summary>
internal static class HostArguments
{
    /// <summary>
    /// Builds the configuration arguments. Paths are made absolute so a daemon, which runs from <c>/</c>, reads the
    /// same files as the command that started it. Returns null and an <paramref name="error"/> for a token that
    /// cannot be a configuration override, so a mistyped option is reported instead of silently ignored.
    /// </summary>
    public static string[]? Build(IReadOnlyList<string> unmatched, string? configFile, string? pidFile, out string? error)
    {
        error = Validate(unmatched);
        if (error is not null)
        {
            return null;
        }

        var arguments = new List<string>();
        if (configFile is not null)
        {
            arguments.Add("--config");
            arguments.Add(Path.GetFullPath(configFile));
        }

        arguments.AddRange(unmatched);

        // Last, so it wins over any --Service:PidFile= among the overrides.
        if (pidFile is not null)
        {
            arguments.Add("--Service:PidFile=" + Path.GetFullPath(pidFile));
        }

        return [.. arguments];
    }

    private static string? Validate(IReadOnlyList<string> tokens)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!token.StartsWith("--", StringComparison.Ordinal))
            {
                return $"Unexpected argument '{token}'. Configuration overrides look like --Section:Key=value; see --help.";
            }

            var equals = token.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? token[2..] : token[2..equals];
            if (!key.Contains(':', StringComparison.Ordinal))
            {
                return $"Unrecognized option '{token}'. Configuration overrides look like --Section:Key=value; see --help.";
            }

            if (equals < 0)
            {
                // "--Section:Key value": the next token is the value, whatever it looks like.
                if (i + 1 >= tokens.Count)
                {
                    return $"Configuration override '{token}' has no value.";
                }

                i++;
            }
        }

        return null;
    }
}
