using System.Buffers;
using System.Buffers.Binary;

namespace PluggableNet.Server.Connections.Handover;

/// <summary>The written form of a snapshot (everything but the descriptor, which crosses with <c>SCM_RIGHTS</c>): docs/upgrade-connections.md.</summary>
internal sealed partial class ConnectionSnapshot
{
    private const byte AwaitingProxyHeaderFlag = 1;
    private const byte ReceivedAnyFlag = 2;
    private const byte V1StreamFlag = 4;
    private const byte V2Flag = 8;
    private const byte SessionFlag = 16;

    /// <summary>Writes the version byte, the body's length (<c>u32</c>), then the body.</summary>
    public void Write(IBufferWriter<byte> output)
    {
        var body = new ArrayBufferWriter<byte>(256 + Received.Length + (Session?.State.Length ?? 0));
        WriteBody(new SnapshotWriter(body));
        var header = output.GetSpan(5);
        header[0] = FormatVersion;
        BinaryPrimitives.WriteInt32BigEndian(header[1..], body.WrittenCount);
        output.Advance(5);
        output.Write(body.WrittenSpan);
    }

    /// <summary>Reads what <see cref="Write"/> wrote; the descriptor is the caller's to attach (<see cref="Socket"/>).</summary>
    /// <exception cref="InvalidDataException">Another format version, or bytes that are not a snapshot.</exception>
    public static ConnectionSnapshot Read(ReadOnlySpan<byte> input)
    {
        var reader = new SnapshotReader(input);
        reader.ExpectVersion();
        var length = reader.Int32();
        if (length != input.Length - 5)
        {
            throw new InvalidDataException($"A connection snapshot body of {input.Length - 5} bytes, announced as {length}.");
        }

        var previousId = reader.Int64();
        var protocol = reader.Byte();
        if (protocol > (byte)WireProtocol.V2)
        {
            throw new InvalidDataException($"Protocol {protocol} in a connection snapshot.");
        }

        var flags = reader.Byte();
        var snapshot = new ConnectionSnapshot
        {
            PreviousId = previousId,
            Protocol = (WireProtocol)protocol,
            AwaitingProxyHeader = (flags & AwaitingProxyHeaderFlag) != 0,
            ReceivedAny = (flags & ReceivedAnyFlag) != 0,
            V1Stream = (flags & V1StreamFlag) != 0,
            Requests = reader.Int64(),
            Peer = reader.EndPoint(),
            ProxiedBy = reader.EndPoint(),
            LocalEndPoint = reader.EndPoint(),
            ExpectedFrame = reader.Int32(),
            FrameStartedAgoMs = reader.Int64(),
            LastRequestAgoMs = reader.Int64(),
            Received = reader.Bytes(),
            V2 = (flags & V2Flag) != 0 ? ReadV2(ref reader) : null,
            Session = (flags & SessionFlag) != 0 ? ReadSession(ref reader) : null,
        };
        reader.ExpectEnd();
        return snapshot;
    }

    private void WriteBody(SnapshotWriter writer)
    {
        writer.Int64(PreviousId);
        writer.Byte((byte)Protocol);
        writer.Byte((byte)((AwaitingProxyHeader ? AwaitingProxyHeaderFlag : 0) | (ReceivedAny ? ReceivedAnyFlag : 0)
            | (V1Stream ? V1StreamFlag : 0) | (V2 is null ? 0 : V2Flag) | (Session is null ? 0 : SessionFlag)));
        writer.Int64(Requests);
        writer.EndPoint(Peer);
        writer.EndPoint(ProxiedBy);
        writer.EndPoint(LocalEndPoint);
        writer.Int32(ExpectedFrame);
        writer.Int64(FrameStartedAgoMs);
        writer.Int64(LastRequestAgoMs);
        writer.Bytes(Received);
        if (V2 is { } v2)
        {
            writer.UInt32(v2.LastRequestId);
            writer.UInt32(v2.LastAcceptedId);
            writer.Int64(v2.LastReceivedAgoMs);
            writer.Int64(v2.PingSentAgoMs);
            writer.UInt32(v2.AdvertisedMaxFrameBytes);
            writer.UInt32(v2.AdvertisedMaxAnswerBytes);
            writer.UInt32(v2.AdvertisedMaxConcurrentRequests);
            writer.UInt32(v2.AdvertisedPingIntervalMs);
            writer.UInt32(v2.AdvertisedPingTimeoutMs);
        }

        if (Session is { } session)
        {
            writer.Int64(session.PreviousId);
            writer.String(session.FromVersion);
            writer.Bytes(session.State);
            writer.Int32(session.Groups.Count);
            foreach (var group in session.Groups)
            {
                writer.String(group);
            }
        }
    }

    private static V2Snapshot ReadV2(ref SnapshotReader reader) => new()
    {
        LastRequestId = reader.UInt32(),
        LastAcceptedId = reader.UInt32(),
        LastReceivedAgoMs = reader.Int64(),
        PingSentAgoMs = reader.Int64(),
        AdvertisedMaxFrameBytes = reader.UInt32(),
        AdvertisedMaxAnswerBytes = reader.UInt32(),
        AdvertisedMaxConcurrentRequests = reader.UInt32(),
        AdvertisedPingIntervalMs = reader.UInt32(),
        AdvertisedPingTimeoutMs = reader.UInt32(),
    };

    private static SessionSnapshot ReadSession(ref SnapshotReader reader)
    {
        var previousId = reader.Int64();
        var fromVersion = reader.String();
        var state = reader.Bytes();
        var count = reader.Int32();
        if (count < 0 || count > 1_000_000)
        {
            throw new InvalidDataException($"{count} groups in a connection snapshot.");
        }

        var groups = new string[count];
        for (var i = 0; i < count; i++)
        {
            groups[i] = reader.String();
        }

        return new SessionSnapshot { PreviousId = previousId, FromVersion = fromVersion, State = state, Groups = groups };
    }
}
