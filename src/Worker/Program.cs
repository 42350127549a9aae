// A plugin worker process (Plugins:<Name>:Isolation Process): started by the host, never by hand.
return PluggableNet.Server.Plugins.Isolation.WorkerMain.Run(args);
