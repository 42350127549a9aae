using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Sessions;

/// <summary>
/// A burst of broadcasts in one write, so one pass of the host makes them all: on epoll the reactor that serves the
/// sender and the members holds each member's pushes and sends them when the pass ends (docs/sessions.md, "A
/// broadcast on the reactor that serves the members"). Every member still gets every push once, whole and in order,
/// its own requests sent meanwhile are answered in turn, and a member that leaves mid-burst costs the others nothing.
/// </summary>
public sealed class BroadcastBurstTests
{
    [Theory]
    [MemberData(nameof(TransportData.AllWithProtocols), MemberType = typeof(TransportData))]
    public async Task EveryMemberGetsABurstWholeInOrderWhileAskingAndOneLeaving(string transport, string protocol)
    {
        const int Members = 12;
        const int Bursts = 4;
        const int PerBurst = 150;
        const int Messages = Bursts * PerBurst;

        // Room for every push while the members read slowly: nothing is dropped, so each stream is known exactly.
        await using var harness = SessionHarness.Start(transport, 1, false, false, ("Limits:MaxPendingWriteBytes", "4194304"));
        await using var sender = await SlowStreamReader.ConnectAsync(harness.Server.EndPoint, protocol, seed: 99);
        await using var leaving = await SessionClient.ConnectAsync(harness.Server.EndPoint, protocol);
        var members = new List<SlowStreamReader>();
        try
        {
            for (var m = 0; m < Members; m++)
            {
                var member = await SlowStreamReader.ConnectAsync(harness.Server.EndPoint, protocol, seed: m);
                members.Add(member);
                await member.AskAsync("JOIN burst", 0);
                Assert.True(await member.ReadUntilAsync(x => x.Answers.Count == 1, TimeSpan.FromSeconds(10)), "JOIN answered");
            }

            Assert.Equal($"joined {Members + 1}", await leaving.AskAsync("JOIN burst"));
            var texts = Enumerable.Range(0, Messages).Select(i => $"{i}:" + new string((char)('a' + (i % 26)), 20 + (i % 7 * 30))).ToList();
            var reading = members.Select(member => Task.Run(() => member.ReadUntilAsync(x => x.Pushes.Count == Messages && x.Answers.Count == 1 + Bursts, TimeSpan.FromSeconds(90)))).ToList();
            for (var b = 0; b < Bursts; b++)
            {
                await sender.AskAllAsync(texts.Skip(b * PerBurst).Take(PerBurst).Select(text => "SAY burst " + text));
                foreach (var member in members)
                {
                    // Sent while the burst is being delivered: answered in its turn, never lost among the pushes.
                    await member.AskAsync("WHO burst", 0);
                }

                if (b == 1)
                {
                    // Mid-burst, without reading what it was sent: the others do not notice.
                    await leaving.DisposeAsync();
                }
            }

            Assert.True(await sender.ReadUntilAsync(x => x.Answers.Count == Messages, TimeSpan.FromSeconds(60)), $"sender: {sender.Answers.Count} of {Messages} answers");
            Assert.Empty(sender.Violations);
            Assert.All(sender.Answers, answer => Assert.Matches("^sent (12|13) 0 [01] 0 ", answer));

            var finished = await Task.WhenAll(reading).WaitAsync(TimeSpan.FromSeconds(120));
            var expected = texts.Select(t => "msg burst anon: " + t).ToList();
            for (var m = 0; m < Members; m++)
            {
                var member = members[m];
                Assert.True(finished[m], $"member {m}: {member.Pushes.Count} of {Messages} pushes, {member.Answers.Count} answers in time");
                Assert.Empty(member.Violations);
                Assert.Equal(expected, member.Pushes);
                Assert.All(member.Answers.Skip(1), answer => Assert.StartsWith("anon,anon,anon", answer));
            }
        }
        finally
        {
            foreach (var member in members)
            {
                await member.DisposeAsync();
            }
        }
    }
}
