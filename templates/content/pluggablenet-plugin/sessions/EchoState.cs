namespace Echo;

/// <summary>
/// One connection's state: data only, so that at a hot swap this version can write it out and the next one read it
/// back (<see cref="EchoPlugin.ExportState"/>, <see cref="EchoPlugin.ImportState"/>).
/// </summary>
/// <param name="Name">What the connection calls itself (<c>NAME text</c>).</param>
/// <param name="Requests">How many requests it sent.</param>
public sealed record EchoState(string Name, int Requests);
