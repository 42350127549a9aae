using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using PluggableNet.Server;
using PluggableNet.Server.Hosting;
using PluggableNet.Server.Transport;

namespace PluggableNet.Host.Telemetry;

/// <summary>
/// The HTTP side for operators and balancers: <c>GET /healthz</c> and <c>GET /readyz</c> under <c>Health:Endpoint</c>
/// (the whole host; <c>/readyz/&lt;endpoint&gt;</c> and <c>/healthz/&lt;endpoint&gt;</c> one endpoint; <c>?verbose</c> each endpoint a line),
/// and the Prometheus scrape at <c>Telemetry:Prometheus:Endpoint</c>. Served by Kestrel on its own (thread-pool)
/// threads, never the reactors'; endpoints with the same address and port share one listener.
/// </summary>
/// <remarks>
/// Registered before the server's hosted service, so it starts first (readiness is 503 while the plugin loads) and
/// stops last (readiness stays visible, as 503, through <c>Health:DrainDelay</c> and the drain).
/// </remarks>
internal sealed partial class TelemetryHttpServer(
    ServerSettings settings,
    ServerHostedService server,
    ILoggerFactory loggerFactory,
    MeterProvider? meterProvider = null,
    FixedTelemetryPort? fixedPort = null) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("PluggableNet.Telemetry");
    // An IHost, not a WebApplication: with both endpoints off, ASP.NET Core's assemblies are never loaded.
    private IHost? _app;
    private Task _deferred = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var observability = settings.Observability;
        HttpEndPoint[] endPoints = [.. new[] { observability.HealthEndpoint, observability.PrometheusEndpoint }.OfType<HttpEndPoint>()];
        return endPoints.Length == 0 ? Task.CompletedTask : StartKestrelAsync(observability, endPoints, cancellationToken);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Task StartKestrelAsync(ObservabilitySettings observability, HttpEndPoint[] endPoints, CancellationToken cancellationToken)
    {
        var app = Build(observability, endPoints);
        if (fixedPort?.OldHostReleased is { } released && endPoints.Any(e => e.Port != 0))
        {
            // The old host holds a fixed port until the hand-over: bind it once the old host has let go.
            _deferred = ListenAfterReleaseAsync(released, app, () => Build(observability, endPoints), endPoints);
            return Task.CompletedTask;
        }

        return ListenAsync(app, endPoints, cancellationToken);
    }

    private IHost Build(ObservabilitySettings observability, HttpEndPoint[] endPoints)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "PluggableNet.Telemetry" });
        builder.Services.AddSingleton(loggerFactory);
        // The host process owns SIGTERM; this listener must outlive the drain, not stop on the signal by itself.
        builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var listener in endPoints.DistinctBy(e => (e.Address, e.Port)))
            {
                kestrel.Listen(listener.Address, listener.Port);
            }
        });

        var app = builder.Build();
        if (observability.PrometheusEndpoint is { } prometheus)
        {
            app.UseOpenTelemetryPrometheusScrapingEndpoint(
                meterProvider,
                context => context.Connection.LocalPort == prometheus.Port && context.Request.Path == prometheus.Path,
                path: null,
                configureBranchedPipeline: null,
                optionsName: null);
        }

        var health = observability.HealthEndpoint;
        app.Run(context => health is not null && context.Connection.LocalPort == health.Port ? ServeHealthAsync(context, health) : NotFoundAsync(context));
        return app;
    }

    private async Task ListenAsync(IHost app, HttpEndPoint[] endPoints, CancellationToken cancellationToken)
    {
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException exception)
        {
            await ((IAsyncDisposable)app).DisposeAsync().ConfigureAwait(false);
            // Kestrel names the address it could not bind; the operator needs the key that asked for it.
            var keys = endPoints.Where(e => exception.Message.Contains($":{e.Port}", StringComparison.Ordinal)).Select(e => e.Key).DefaultIfEmpty(string.Join(" / ", endPoints.Select(e => e.Key)));
            throw new ConfigurationException([$"{string.Join(", ", keys)}: cannot listen: {exception.GetBaseException().Message}"]);
        }

        _app = app;
        if (fixedPort is not null && endPoints.Any(e => e.Port != 0))
        {
            fixedPort.Release = ReleaseForHandOverAsync;
        }

        foreach (var endPoint in endPoints)
        {
            _logger.LogInformation("{Key} serving on {Url}", endPoint.Key, endPoint);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _deferred.ConfigureAwait(false);
        if (_app is { } app)
        {
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is IAsyncDisposable app)
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private Task ServeHealthAsync(HttpContext context, HttpEndPoint health)
    {
        var path = context.Request.Path.Value ?? string.Empty;
        if (HealthPath.Parse(path, health.PathBase) is not { } asked)
        {
            return NotFoundAsync(context);
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "GET, HEAD";
            return Task.CompletedTask;
        }

        // /readyz/<endpoint> is that endpoint's alone; /readyz the whole host, ready when every endpoint is.
        var servers = server.Servers;
        var endpoint = asked.Endpoint is null ? null : servers.FirstOrDefault(s => string.Equals(s.Name, asked.Endpoint, StringComparison.OrdinalIgnoreCase));
        if (asked.Endpoint is not null && endpoint is null && servers.Count > 0)
        {
            return WriteAsync(context, StatusCodes.Status404NotFound, $"no endpoint named {asked.Endpoint} (endpoints: {string.Join(", ", servers.Select(s => s.Name))})");
        }

        var (ok, text) = asked.Answer(servers.Count == 0, endpoint?.IsLive ?? server.IsLive, endpoint?.IsReady ?? server.IsReady);
        if (context.Request.Query.ContainsKey("verbose"))
        {
            // As kube-apiserver's ?verbose: one line per check, [+] passing, [-] failing.
            text = string.Concat((endpoint is null ? servers : [endpoint]).Select(s =>
            {
                var (each, why) = asked.Answer(false, s.IsLive, s.IsReady);
                return $"[{(each ? '+' : '-')}]{s.Name} {why}\n";
            })) + text;
        }

        return WriteAsync(context, ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, text);
    }

    private static Task WriteAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.WriteAsync(text + "\n");
    }

    private static Task NotFoundAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    /// <summary>A lifetime that waits for nobody and listens to no signal: the generic host around it decides.</summary>
    private sealed class NoSignalLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
