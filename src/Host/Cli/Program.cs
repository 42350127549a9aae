using System.Runtime.InteropServices;
using PluggableNet.Host.Cli;
using PluggableNet.Host.Service;
using PluggableNet.Server.Interop;

// SIGHUP asks for a reload. A parent may hand it over ignored (nohup, some supervisors), and .NET then never delivers
// it to a registration: the host takes it back first, as nginx does. Before the configuration is read there is
// nothing to reload, so its default action (ending the process) must not apply while the host starts. From the
// server's start on, ReloadCoordinator acts on it.
if (!OperatingSystem.IsWindows())
{
    Libc.signal(Libc.SIGHUP, Libc.SIG_DFL);
}

using var hangupWhileStarting = OperatingSystem.IsWindows()
    ? null
    : PosixSignalRegistration.Create(PosixSignal.SIGHUP, static context => context.Cancel = true);

// Before any socket exists: the runtime's socket event threads, one per processor, run TLS connections' completions.
PluggableNet.Server.Transport.Sockets.InlineCompletions.OneEventThreadPerProcessor();

// A daemon launched by `start` leaves the terminal before anything touches the console.
DaemonSession.DetachIfDaemon(args);

// run (the default), start, stop, restart, status, reload; see ServiceCli.
return await ServiceCli.InvokeAsync(args);
