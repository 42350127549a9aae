using PluggableNet.Bench.Driver;

return await DriverApp.RunAsync(args, Console.Out).ConfigureAwait(false);
