using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Primitives;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Transport;

namespace PluggableNet.Host.Configuration;

/// <summary>
/// A watched JSON configuration file that keeps its last valid contents when a reload fails: the file cannot be
/// parsed, cannot be read, or is gone.
/// </summary>
/// <remarks>
/// The stock JSON provider empties a file's settings when a reload cannot be parsed (and, with no handler, throws
/// on the file-watcher thread), and treats a deleted file as an empty one. For a server that reacts to
/// configuration live, a half-saved or removed file would then switch <c>Logic:Plugin</c> back to a default, or
/// crash the process. Here the first load still fails loudly (startup must reject a broken or unreadable file),
/// while a failed reload is reported through <see cref="Rejected"/> or <see cref="Vanished"/> and changes
/// nothing; a file that comes back is read again. The stock provider's own watch is replaced by ours, because its
/// reload path (private) cannot be told to keep the settings of a vanished file.
/// </remarks>
internal sealed class LastGoodJsonConfigurationSource : JsonConfigurationSource
{
    /// <summary>Raised with the file and the reason when new contents are ignored.</summary>
    public static event Action<string, Exception>? Rejected;

    /// <summary>Raised with the file when it disappears; its last valid settings stay in force.</summary>
    public static event Action<string>? Vanished;

    /// <summary>Raised with the file when it is back after <see cref="Vanished"/>, just before it is read.</summary>
    public static event Action<string>? Returned;

    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);

        // The base provider must not watch (its reload would empty a vanished file); ours does, see Provider.
        var watch = ReloadOnChange;
        ReloadOnChange = false;
        return new Provider(this, watch);
    }

    private sealed class Provider : JsonConfigurationProvider
    {
        private readonly LastGoodJsonConfigurationSource _source;
        private readonly IDisposable? _watch;
        private bool _loaded;
        private bool _vanished;

        public Provider(LastGoodJsonConfigurationSource source, bool watch)
            : base(source)
        {
            _source = source;
            if (watch && source.FileProvider is { } files)
            {
                _watch = ChangeToken.OnChange(
                    () => files.Watch(source.Path ?? string.Empty),
                    () =>
                    {
                        // As the stock provider does: let the writer finish before reading.
                        Thread.Sleep(source.ReloadDelay);
                        Load();
                    });
            }
        }

        private string Name => _source.Path ?? "(json)";

        /// <summary>The first load throws on any problem; later ones (a change, a SIGHUP) keep the last good settings.</summary>
        public override void Load()
        {
            if (!_loaded)
            {
                base.Load();
                _loaded = true;
                return;
            }

            var file = _source.FileProvider?.GetFileInfo(_source.Path ?? string.Empty);
            if (file is null || !file.Exists)
            {
                if (!_vanished)
                {
                    _vanished = true;
                    Vanished?.Invoke(Name);
                }

                return;
            }

            if (_vanished)
            {
                _vanished = false;
                Returned?.Invoke(Name);
            }

            try
            {
                using var stream = file.CreateReadStream();
                Load(stream);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidDataException or FormatException)
            {
                Rejected?.Invoke(Name, exception);
                return;
            }

            OnReload();
        }

        protected override void Dispose(bool disposing)
        {
            _watch?.Dispose();
            base.Dispose(disposing);
        }
    }
}
