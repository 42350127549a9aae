using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluggableNet.Baselines.Kestrel;

var builder = WebApplication.CreateSlimBuilder(args);
var options = BaselineOptions.From(builder.Configuration);

builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton(options);
builder.Services.AddSingleton<ServerCounters>();
builder.Services.AddHostedService<ControlChannel>();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    // Large frames must fit in the input pipe before they can be answered.
    kestrel.Limits.MaxRequestBufferSize = (long)options.MaxPayloadBytes + 64;
    kestrel.Listen(options.Address, options.Port, listen =>
    {
        if (options.TlsCertificatePath is { } certificate)
        {
            // TLS as Kestrel terminates it for any endpoint: its HTTPS connection middleware (SslStream) before the handler.
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = X509Certificate2.CreateFromPemFile(certificate, options.TlsKeyPath),
                SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            });
        }

        listen.UseConnectionHandler<ReverseConnectionHandler>();
    });
});

await using var app = builder.Build();
await app.StartAsync().ConfigureAwait(false);

// With port 0 only the server knows the port: report the bound address for whoever started us.
var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
var port = bound is null ? options.Port : new Uri(bound).Port;
Console.Out.WriteLine($"listening on {options.Address}:{port}");
Console.Out.Flush();

await app.WaitForShutdownAsync().ConfigureAwait(false);
