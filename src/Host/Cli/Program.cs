using PluggableNet.Host.Cli;
using PluggableNet.Host.Service;

// A daemon launched by `start` leaves the terminal before anything touches the console.
DaemonSession.DetachIfDaemon(args);

// run (the default), start, stop, restart, status, reload; see ServiceCli.
return await ServiceCli.InvokeAsync(args);
