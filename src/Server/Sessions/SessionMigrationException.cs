namespace PluggableNet.Server.Sessions;

/// <summary>A swap could not move the sessions' state; the swap is rolled back and the old generation serves on.</summary>
internal sealed class SessionMigrationException(string message, Exception? inner = null) : Exception(message, inner);
