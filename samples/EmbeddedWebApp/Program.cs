using Microsoft.AspNetCore.Diagnostics.HealthChecks;

var builder = WebApplication.CreateBuilder(args);

// The TCP server joins the application's own host: its logging, IMeterFactory and health checks.
builder.Services.AddPluggableNet(builder.Configuration.GetSection("PluggableNet"));

var app = builder.Build();
app.MapGet("/", () => "Hello over HTTP; PluggableNet answers length-prefixed frames over TCP in this same process.\n");
app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
app.Run();
