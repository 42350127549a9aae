using System.Text;
using System.Text.RegularExpressions;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.ProtocolV2;

/// <summary>docs/protocol.md's first v2 example, byte for byte: its client bytes are sent to a real host and the host's answer must be its host bytes.</summary>
public sealed partial class DocumentedExampleTests
{
    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task TheFirstVersion2ExampleIsWhatTheHostSends(string transport)
    {
        var (fromClient, fromHost) = FirstExample();
        await using var server = TestServer.Start(transport);
        using var connection = V2Connection.Connect(server.EndPoint);

        await connection.SendRawAsync(fromClient);
        var received = new byte[fromHost.Length];
        await connection.ReadExactlyAsync(received);

        Assert.Equal(Convert.ToHexString(fromHost), Convert.ToHexString(received));
    }

    /// <summary>The bytes of the code block after "one request `abcde` with id 1": hex pairs and quoted ASCII, each line's description ignored.</summary>
    private static (byte[] FromClient, byte[] FromHost) FirstExample()
    {
        var text = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "protocol.md"));
        var start = text.IndexOf("one request `abcde` with id 1", StringComparison.Ordinal);
        var blockStart = text.IndexOf("```", start, StringComparison.Ordinal) + 3;
        var block = text[blockStart..text.IndexOf("```", blockStart, StringComparison.Ordinal)];

        var client = new List<byte>();
        var host = new List<byte>();
        var current = client;
        foreach (var line in block.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var data = line;
            if (line.StartsWith("client → host", StringComparison.Ordinal))
            {
                (current, data) = (client, line["client → host".Length..]);
            }
            else if (line.StartsWith("host → client", StringComparison.Ordinal))
            {
                (current, data) = (host, line["host → client".Length..]);
            }

            foreach (Match token in Token().Matches(data))
            {
                if (token.Value.StartsWith('"'))
                {
                    current.AddRange(Encoding.ASCII.GetBytes(token.Value.Trim('"')));
                }
                else if (HexByte().IsMatch(token.Value))
                {
                    current.Add(Convert.ToByte(token.Value, 16));
                }
                else
                {
                    break;
                }
            }
        }

        Assert.NotEmpty(client);
        Assert.NotEmpty(host);
        return ([.. client], [.. host]);
    }

    [GeneratedRegex("\"[^\"]*\"|\\S+")]
    private static partial Regex Token();

    [GeneratedRegex("^[0-9A-F]{2}$")]
    private static partial Regex HexByte();
}
