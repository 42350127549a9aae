using System.Runtime.InteropServices;
using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.Tls;

/// <summary>
/// Certificates swap live in a real host process, with the guarantees of a plugin swap: files replaced on disk (renamed
/// over, or a Kubernetes secret volume's <c>..data</c> link flipped) make new handshakes get the new certificate while
/// connections already open keep theirs and go on being answered under load; a broken file is refused, logged naming
/// the key and the file, and the certificate in use keeps serving.
/// </summary>
public sealed partial class CertificateSwapTests
{
    private const int Connections = 4;

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AReplacedCertificateServesNewHandshakesWhileOpenConnectionsGoOnAndABrokenOneIsRefused(string transport)
    {
        using var files = new TlsFolder();
        var first = files.WritePem("tls", "localhost");
        await using var host = await RunningHost.StartAsync(transport, files.Arguments("tls"));
        using var load = await TlsLoad.StartAsync(host, Connections);
        await load.WaitForAnswersAsync(50);

        var second = TestCertificates.Server(files.Authority, "localhost");
        files.ReplacePem("tls", second);

        await host.StatusAsync(s => s.Tls!.Certificates[0].Thumbprint == second.Thumbprint);
        Assert.Equal(second.Thumbprint, await ThumbprintAsync(host));
        Assert.All(load.Clients, c => Assert.Equal(first.Thumbprint, c.ServerCertificate.Thumbprint));
        await load.WaitForAnswersAsync(50);

        TestCertificates.ReplaceByRename(files.File("tls.crt"), path => File.WriteAllText(path, "-----BEGIN CERTIFICATE-----\ntruncated by a failed renewal\n"));

        var refused = await host.StatusAsync(s => s.Tls!.FailedCertificateSwaps == 1);
        Assert.Contains($"Tls:CertificatePath: '{files.File("tls.crt")}'", refused.Tls!.LastCertificateError, StringComparison.Ordinal);
        Assert.Equal(second.Thumbprint, refused.Tls.Certificates[0].Thumbprint);
        await host.Process.WaitForOutputAsync("TLS certificate change rejected (file): Tls:CertificatePath: '" + files.File("tls.crt"));
        Assert.Equal(second.Thumbprint, await ThumbprintAsync(host));
        await load.WaitForAnswersAsync(50);

        var answered = await load.StopAsync();
        Assert.True(answered > 150 * Connections, $"{answered} answers on the open connections");
        var status = await host.StatusAsync(s => true);
        Assert.Equal(1, status.Tls!.CertificateSwaps);
        Assert.Equal(0, status.Tls.HandshakeFailures.Values.Sum());
    }

    [Theory]
    [MemberData(nameof(TransportData.All), MemberType = typeof(TransportData))]
    public async Task AKubernetesSecretVolumeUpdateIsPickedUp(string transport)
    {
        using var files = new TlsFolder();

        // The kubelet's layout: files in a timestamped folder, ..data a link to it, each key a link through ..data.
        var first = Issue(files, "..2025_01_01_00_00_00.1");
        Link("..2025_01_01_00_00_00.1", files.File("..data"));
        Link("..data/tls.crt", files.File("tls.crt"));
        Link("..data/tls.key", files.File("tls.key"));
        await using var host = await RunningHost.StartAsync(transport, files.Arguments("tls"));
        Assert.Equal(first.Thumbprint, await ThumbprintAsync(host));

        // Its atomic update: a new folder, a new link beside ..data, renamed over it.
        var second = Issue(files, "..2025_02_01_00_00_00.2");
        Link("..2025_02_01_00_00_00.2", files.File("..data_tmp"));
        Assert.Equal(0, rename(files.File("..data_tmp"), files.File("..data")));

        await host.StatusAsync(s => s.Tls!.Certificates[0].Thumbprint == second.Thumbprint);
        Assert.Equal(second.Thumbprint, await ThumbprintAsync(host));
        await host.Process.WaitForOutputAsync("TLS certificates swapped (file): default " + first.Thumbprint + " → " + second.Thumbprint);
    }

    [Fact]
    public async Task InvalidTlsKeysStopTheStartNamingTheFullKey()
    {
        using var files = new TlsFolder();

        var settings = await HostProcess.RunAsync(["run", "--Server:Address=127.0.0.1", "--Server:Port=0", "--Tls:Enabled=true", "--Tls:Protocols=Ssl3", "--Tls:Certificates:Api:CertificatePath=/x.pem"]);
        var file = await HostProcess.RunAsync(["run", "--Server:Address=127.0.0.1", "--Server:Port=0", .. files.Arguments("absent")]);

        Assert.True(settings.ExitCode == 2, settings.ToString());
        Assert.Contains("Tls:Protocols: 'Ssl3' is not one of Tls12, Tls13.", settings.All, StringComparison.Ordinal);
        Assert.Contains("Tls:CertificatePath: required with Tls:Enabled true", settings.All, StringComparison.Ordinal);
        Assert.Contains("Tls:Certificates:Api:HostNames: required", settings.All, StringComparison.Ordinal);
        Assert.True(file.ExitCode == 2, file.ToString());
        Assert.Contains($"Tls:CertificatePath: '{files.File("absent.crt")}': file not found.", file.All, StringComparison.Ordinal);
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 Issue(TlsFolder files, string folder)
    {
        Directory.CreateDirectory(files.File(folder));
        var certificate = TestCertificates.Server(files.Authority, "localhost");
        TestCertificates.WritePem(certificate, Path.Combine(files.File(folder), "tls.crt"), Path.Combine(files.File(folder), "tls.key"), files.Authority);
        return certificate;
    }

    private static void Link(string target, string path) => File.CreateSymbolicLink(path, target);

    private static async Task<string> ThumbprintAsync(RunningHost host)
    {
        using var client = await TlsClient.ConnectAsync(host.EndPoint, "localhost");
        Assert.Equal("olleh", await client.AskAsync("hello"));
        return client.ServerCertificate.Thumbprint;
    }

    /// <summary>rename(2): replaces a link atomically, as the kubelet does (File.Move refuses a link to a folder).</summary>
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rename(string from, string to);

    /// <summary>
    /// Open TLS connections each asking in a loop, bounded in count and time, every answer checked: what must go on
    /// undisturbed while certificates swap.
    /// </summary>
    private sealed class TlsLoad : IDisposable
    {
        private const int MaxPerConnection = 200_000;
        private static readonly TimeSpan s_maxTime = TimeSpan.FromSeconds(90);
        private readonly CancellationTokenSource _stop = new(s_maxTime);
        private readonly long[] _answers;
        private Task[] _loops = [];

        private TlsLoad(List<TlsClient> clients)
        {
            Clients = clients;
            _answers = new long[clients.Count];
        }

        public IReadOnlyList<TlsClient> Clients { get; }

        public static async Task<TlsLoad> StartAsync(RunningHost host, int connections)
        {
            var clients = new List<TlsClient>();
            for (var i = 0; i < connections; i++)
            {
                clients.Add(await TlsClient.ConnectAsync(host.EndPoint, "localhost"));
            }

            var load = new TlsLoad(clients);
            load._loops = [.. clients.Select((client, i) => Task.Run(() => load.LoopAsync(client, i)))];
            return load;
        }

        /// <summary>Until every connection has <paramref name="more"/> answers beyond what it has now.</summary>
        public async Task WaitForAnswersAsync(int more)
        {
            var targets = Enumerable.Range(0, _answers.Length).Select(i => Interlocked.Read(ref _answers[i]) + more).ToArray();
            await Wait.UntilAsync(
                () => _loops.Any(l => l.IsFaulted) || Enumerable.Range(0, _answers.Length).All(i => Interlocked.Read(ref _answers[i]) >= targets[i]),
                TimeSpan.FromSeconds(30),
                "answers on every open connection");
            if (_loops.FirstOrDefault(l => l.IsFaulted) is { } failed)
            {
                await failed;
            }
        }

        /// <summary>Stops the loops; throws the first failure; returns the answers received.</summary>
        public async Task<long> StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_loops);
            return _answers.Sum();
        }

        private async Task LoopAsync(TlsClient client, int index)
        {
            var payload = $"connection-{index}";
            var expected = new string(payload.Reverse().ToArray());
            while (!_stop.IsCancellationRequested && Interlocked.Read(ref _answers[index]) < MaxPerConnection)
            {
                var answer = await client.AskAsync(payload);
                Assert.Equal(expected, answer);
                Interlocked.Increment(ref _answers[index]);
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            foreach (var client in Clients)
            {
                client.Dispose();
            }

            _stop.Dispose();
        }
    }
}
