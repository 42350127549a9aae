using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace PluggableNet.Server.Plugins;

/// <summary>
/// Which plugin generation an exception came from, for the host's fatal line when a plugin in the host's process
/// (Isolation InProcess) takes it down: the load context of the first stack frame that belongs to a plugin.
/// </summary>
internal static class PluginBlame
{
    // Weak on the context: remembering a generation here must never keep its code loaded.
    private static readonly ConditionalWeakTable<AssemblyLoadContext, string> s_generations = [];

    public static void Register(AssemblyLoadContext context, string generation) => s_generations.AddOrUpdate(context, generation);

    /// <summary>"Crash 1.0.0 (generation 1)" if a frame of <paramref name="exception"/> (or of its inner ones) runs a plugin's code; else null.</summary>
    public static string? Find(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            foreach (var frame in new StackTrace(current, fNeedFileInfo: false).GetFrames())
            {
                var assembly = frame.GetMethod()?.DeclaringType?.Assembly;
                if (assembly is not null && AssemblyLoadContext.GetLoadContext(assembly) is { IsCollectible: true } context
                    && s_generations.TryGetValue(context, out var generation))
                {
                    return generation;
                }
            }
        }

        return null;
    }
}
