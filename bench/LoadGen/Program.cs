using PluggableNet.LoadGen;

return await LoadGenCommand.Create().Parse(args).InvokeAsync().ConfigureAwait(false);
