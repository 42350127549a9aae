using System.Buffers;
using System.Net;
using PluggableNet.Server.Connections;
using PluggableNet.Server.Connections.Handover;

namespace PluggableNet.Tests.ConnectionMove;

/// <summary>The written form of a snapshot (docs/upgrade-connections.md) reads back field for field, and refuses what it cannot read.</summary>
public sealed class SnapshotFormatTests
{
    [Fact]
    public void EveryFieldReadsBackAsWritten()
    {
        var snapshot = new ConnectionSnapshot
        {
            PreviousId = 42,
            Protocol = WireProtocol.V2,
            AwaitingProxyHeader = false,
            ReceivedAny = true,
            Requests = 1234,
            Peer = new IPEndPoint(IPAddress.Parse("203.0.113.7"), 50123),
            ProxiedBy = new IPEndPoint(IPAddress.Parse("fe80::1%2"), 443),
            LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 7000),
            Received = [1, 2, 3, 4, 5],
            ExpectedFrame = 77,
            FrameStartedAgoMs = 12,
            LastRequestAgoMs = 345,
            V1Stream = true,
            V2 = new V2Snapshot
            {
                LastRequestId = 9,
                LastAcceptedId = 8,
                LastReceivedAgoMs = 3,
                PingSentAgoMs = 1500,
                AdvertisedMaxFrameBytes = 1 << 20,
                AdvertisedMaxAnswerBytes = 1 << 24,
                AdvertisedMaxConcurrentRequests = 100,
                AdvertisedPingIntervalMs = 30_000,
                AdvertisedPingTimeoutMs = 10_000,
            },
            Session = new SessionSnapshot { PreviousId = 42, FromVersion = "1.0.0", State = "\"alice\""u8.ToArray(), Groups = ["lobby", "ops"] },
        };

        var written = new ArrayBufferWriter<byte>();
        snapshot.Write(written);
        Assert.Equal(ConnectionSnapshot.FormatVersion, written.WrittenSpan[0]);
        var read = ConnectionSnapshot.Read(written.WrittenSpan);

        Assert.Equal(snapshot.PreviousId, read.PreviousId);
        Assert.Equal(snapshot.Protocol, read.Protocol);
        Assert.Equal(snapshot.ReceivedAny, read.ReceivedAny);
        Assert.Equal(snapshot.Requests, read.Requests);
        Assert.Equal(snapshot.Peer, read.Peer);
        Assert.Equal(snapshot.ProxiedBy, read.ProxiedBy);
        Assert.Equal(snapshot.LocalEndPoint, read.LocalEndPoint);
        Assert.Equal(snapshot.Received, read.Received);
        Assert.Equal(snapshot.ExpectedFrame, read.ExpectedFrame);
        Assert.Equal(snapshot.FrameStartedAgoMs, read.FrameStartedAgoMs);
        Assert.Equal(snapshot.LastRequestAgoMs, read.LastRequestAgoMs);
        Assert.True(read.V1Stream);
        Assert.Equal(snapshot.V2, read.V2);
        Assert.Equal(snapshot.Session.FromVersion, read.Session!.FromVersion);
        Assert.Equal(snapshot.Session.State, read.Session.State);
        Assert.Equal(snapshot.Session.Groups, read.Session.Groups);
        Assert.Null(read.Socket);
    }

    [Fact]
    public void AnotherVersionOrATruncatedSnapshotIsRefused()
    {
        var written = new ArrayBufferWriter<byte>();
        new ConnectionSnapshot { Protocol = WireProtocol.V1 }.Write(written);
        var bytes = written.WrittenSpan.ToArray();

        var later = (byte[])bytes.Clone();
        later[0] = ConnectionSnapshot.FormatVersion + 1;
        Assert.Contains("format version", Assert.Throws<InvalidDataException>(() => ConnectionSnapshot.Read(later)).Message);
        Assert.Throws<InvalidDataException>(() => ConnectionSnapshot.Read(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Throws<InvalidDataException>(() => SharedSessionState.Read(bytes));
    }
}
