namespace PluggableNet.Server.Sessions;

/// <summary>
/// What one plugin generation sees of the sessions: its registry view, its options, and whether a swap retired it.
/// Every <see cref="ISession"/> and <see cref="ISessionRegistry"/> a generation is handed points here, so once it is
/// retired its pushes are refused, whatever it kept.
/// </summary>
internal sealed class SessionScope
{
    private volatile bool _retired;

    public SessionScope(SessionRegistry registry)
    {
        Host = registry;
        Registry = new RegistryView(registry, this);
    }

    /// <summary>The host's registry behind <see cref="Registry"/>.</summary>
    public SessionRegistry Host { get; }

    /// <summary>The registry as this generation sees it (what its constructor may take).</summary>
    public RegistryView Registry { get; }

    /// <summary>The session plugin of this generation, or null for a plugin without sessions.</summary>
    public ISessionPlugin? Plugin { get; private set; }

    public SessionOptions Options { get; private set; } = SessionOptions.Default;

    /// <summary>"Chat 1.1.0 (generation 4)": for the refusal log line.</summary>
    public string Describe { get; set; } = string.Empty;

    /// <summary>The plugin version, as its import sees it (<see cref="StateImport.FromVersion"/>).</summary>
    public string Version { get; set; } = string.Empty;

    public bool Retired => _retired;

    /// <summary>Once the generation is built: a session plugin gets its options read, once.</summary>
    public void Attach(ILogicPlugin plugin)
    {
        if (plugin is ISessionPlugin sessions)
        {
            Plugin = sessions;
            Options = sessions.Sessions ?? SessionOptions.Default;
        }
    }

    public void Retire()
    {
        _retired = true;
        Plugin = null;
    }
}
