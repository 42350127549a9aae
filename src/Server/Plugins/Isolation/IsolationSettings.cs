using Microsoft.Extensions.Configuration;

namespace PluggableNet.Server.Plugins.Isolation;

/// <summary>
/// A plugin's isolation keys under <c>Plugins:&lt;Name&gt;</c>, read when a generation is loaded (so a changed value takes
/// effect at the next swap). The one place their defaults live.
/// </summary>
internal sealed record IsolationSettings
{
    /// <summary><c>Isolation</c>, default <see cref="PluginIsolation.InProcess"/>.</summary>
    public PluginIsolation Isolation { get; init; } = PluginIsolation.InProcess;

    /// <summary><c>MaxMemoryBytes</c>, default 0 (no limit): the worker's memory limit; Process mode only.</summary>
    public long MaxMemoryBytes { get; init; }

    /// <summary>
    /// <c>MemoryLimit</c>, default <see cref="MemoryLimitMode.Auto"/>: how <see cref="MaxMemoryBytes"/> is enforced (a cgroup
    /// when the host can make one, else <c>RLIMIT_AS</c>).
    /// </summary>
    public MemoryLimitMode MemoryLimit { get; init; } = MemoryLimitMode.Auto;

    /// <summary><c>MaxRestarts</c>, default 3: crashes restarted within <see cref="RestartWindow"/> before the plugin is given up.</summary>
    public int MaxRestarts { get; init; } = 3;

    /// <summary><c>RestartWindow</c>, default 30 s: the window of <see cref="MaxRestarts"/> (Erlang's intensity period).</summary>
    public TimeSpan RestartWindow { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Reads the keys of plugin <paramref name="name"/>; throws <see cref="ConfigurationException"/> naming each bad key in full.</summary>
    public static IsolationSettings Read(IConfiguration configuration, string name)
    {
        var defaults = new IsolationSettings();
        var reader = new SettingsReader(configuration, $"Plugins:{name}:");
        var settings = new IsolationSettings
        {
            Isolation = reader.Enum("Isolation", defaults.Isolation),
            MaxMemoryBytes = reader.Long("MaxMemoryBytes", defaults.MaxMemoryBytes, 0, long.MaxValue),
            MemoryLimit = reader.Enum("MemoryLimit", defaults.MemoryLimit),
            MaxRestarts = reader.Int("MaxRestarts", defaults.MaxRestarts, 0, 1000),
            RestartWindow = reader.Duration("RestartWindow", defaults.RestartWindow),
        };
        if (settings.MaxMemoryBytes is > 0 and < 16 << 20)
        {
            reader.Errors.Add($"Plugins:{name}:MaxMemoryBytes: {settings.MaxMemoryBytes} is below 16777216 (16 MiB), too little for a .NET worker process to start.");
        }

        if (settings.Isolation == PluginIsolation.InProcess && settings.MaxMemoryBytes > 0)
        {
            reader.Errors.Add($"Plugins:{name}:MaxMemoryBytes applies only with Plugins:{name}:Isolation Process: a plugin in the host's process shares the host's memory.");
        }

        if (settings.MemoryLimit != MemoryLimitMode.Auto && settings.MaxMemoryBytes == 0)
        {
            reader.Errors.Add($"Plugins:{name}:MemoryLimit {settings.MemoryLimit} applies only with Plugins:{name}:MaxMemoryBytes above 0.");
        }

        if (reader.Errors.Count > 0)
        {
            throw new ConfigurationException(reader.Errors);
        }

        return settings;
    }
}
