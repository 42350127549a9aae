using System.Net;
using PluggableNet.Server.Transport;

namespace PluggableNet.UnitTests.Transport;

public sealed class InheritedListenersTests
{
    private static readonly InheritedListener s_fd3 = new(3, new IPEndPoint(IPAddress.Loopback, 9001));
    private static readonly InheritedListener s_fd4 = new(4, new IPEndPoint(IPAddress.Loopback, 9002));

    [Theory]
    [InlineData(null)]
    [InlineData("pluggablenet.socket")]
    [InlineData("Public")]
    public void OneSocketForOneEndpointNeedsNoName(string? name)
    {
        var matched = InheritedListeners.Match([(name, s_fd3)], ["Default"], out var errors);

        Assert.Empty(errors);
        Assert.Same(s_fd3, matched.For("Default"));
    }

    [Fact]
    public void EachSocketGoesToTheEndpointOfItsNameWhateverTheCase()
    {
        var matched = InheritedListeners.Match([("public", s_fd3), ("Admin", s_fd4)], ["Admin", "Public"], out var errors);

        Assert.Empty(errors);
        Assert.Same(s_fd3, matched.For("Public"));
        Assert.Same(s_fd4, matched.For("Admin"));
    }

    [Fact]
    public void AnUnnamedOrUnmatchedSocketIsAnErrorNamingItsFdAndTheEndpoints()
    {
        InheritedListeners.Match([(null, s_fd3), ("Nope", s_fd4)], ["Admin", "Public"], out var errors);

        Assert.Equal(2, errors.Count);
        Assert.StartsWith("LISTEN_FDNAMES: fd 3 (127.0.0.1:9001) has no name;", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("LISTEN_FDNAMES: fd 4 (127.0.0.1:9002) is named Nope, which is no endpoint's name (endpoints: Admin, Public)", errors[1], StringComparison.Ordinal);
    }

    [Fact]
    public void TwoSocketsOfOneNameAreAnError()
    {
        InheritedListeners.Match([("Public", s_fd3), ("Public", s_fd4)], ["Public", "Admin"], out var errors);

        Assert.StartsWith("LISTEN_FDNAMES: fd 4 (127.0.0.1:9002) is named Public as fd 3 is;", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void AnEndpointWithoutASocketIsAnErrorNamingItsKey()
    {
        InheritedListeners.Match([("Public", s_fd3)], ["Admin", "Public"], out var errors);

        Assert.StartsWith("Endpoints:Admin: no inherited socket is named Admin (LISTEN_FDNAMES=Public)", Assert.Single(errors), StringComparison.Ordinal);
    }
}
