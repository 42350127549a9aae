using PluggableNet.Host.Hosting;

return await HostApp.RunAsync(args);
