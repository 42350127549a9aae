using Microsoft.Extensions.Configuration;
using PluggableNet.Host.Service;
using Serilog.Core;
using Serilog.Events;

namespace PluggableNet.UnitTests.Service;

/// <summary>
/// The logging defaults are the code's, so the shipped appsettings.json can be empty: console at Information, the
/// framework's <c>Microsoft.*</c> sources at Warning, and a <c>Serilog</c> section still overrides either.
/// </summary>
public sealed class ServiceLoggingDefaultsTests
{
    [Fact]
    public void WithoutASerilogSectionTheHostLogsInformationAndTheFrameworkOnlyWarnings()
    {
        using var logger = ServiceLogging.CreateConsoleLogger(new ConfigurationBuilder().Build());

        Assert.True(logger.IsEnabled(LogEventLevel.Information));
        Assert.False(logger.IsEnabled(LogEventLevel.Debug));
        Assert.False(From(logger, "Microsoft.Hosting.Lifetime").IsEnabled(LogEventLevel.Information));
        Assert.True(From(logger, "Microsoft.Hosting.Lifetime").IsEnabled(LogEventLevel.Warning));
    }

    [Fact]
    public void TheSerilogSectionOverridesTheFrameworkLevel()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Serilog:MinimumLevel:Default"] = "Debug",
            ["Serilog:MinimumLevel:Override:Microsoft"] = "Debug",
        }).Build();

        using var logger = ServiceLogging.CreateConsoleLogger(configuration);

        Assert.True(From(logger, "Microsoft.Hosting.Lifetime").IsEnabled(LogEventLevel.Debug));
    }

    private static Serilog.ILogger From(Logger logger, string source) => logger.ForContext(Constants.SourceContextPropertyName, source);
}
