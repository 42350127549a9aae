namespace PluggableNet.Server.Connections;

/// <summary>
/// One piece of a gathered send (<see cref="OutputBuffer.Gather"/>): <see cref="Offset"/> into the output's own
/// array when <see cref="Pointer"/> is null, otherwise from a pinned shared payload.
/// </summary>
internal readonly unsafe struct OutputSegment(byte* pointer, int offset, int length)
{
    public byte* Pointer { get; } = pointer;

    public int Offset { get; } = offset;

    public int Length { get; } = length;
}
