using PluggableNet.Client;

namespace PluggableNet.UnitTests.Client;

/// <summary>Every rule of the endpoint choice, on synthetic endpoints: up, down, tried, avoided, busy.</summary>
public sealed class EndpointSelectorTests
{
    private const long Now = 10_000;
    private const int None = -1;

    private static readonly EndpointSignal s_up = new(DownUntil: 0, Pending: 0);

    [Fact]
    public void ASingleEndpointIsTriedOnceEvenWhenDownOrAvoided()
    {
        EndpointSignal[] one = [Down(until: Now + 5_000)];

        Assert.Equal(0, Pick(one, EndpointSelection.LeastPending, tried: 0, avoid: 0));
        Assert.Equal(None, Pick(one, EndpointSelection.LeastPending, tried: 1, avoid: None));
    }

    [Fact]
    public void RoundRobinTakesEachEndpointInTurn()
    {
        EndpointSignal[] three = [s_up, s_up, s_up];

        var picks = Enumerable.Range(0, 6).Select(start => EndpointSelector.Pick(three, EndpointSelection.RoundRobin, 0, None, Now, (uint)start));

        Assert.Equal([0, 1, 2, 0, 1, 2], picks);
    }

    [Fact]
    public void RoundRobinSkipsTriedAndDownEndpoints()
    {
        EndpointSignal[] three = [s_up, Down(until: Now + 1), s_up];

        Assert.Equal(2, Pick(three, EndpointSelection.RoundRobin, tried: 0b001, avoid: None, start: 0));
    }

    [Fact]
    public void AnEndpointWhoseDownTimeIsOverIsUpAgain()
    {
        EndpointSignal[] two = [Down(until: Now), s_up];

        Assert.Equal(0, Pick(two, EndpointSelection.RoundRobin, tried: 0, avoid: None, start: 0));
    }

    [Fact]
    public void LeastPendingTakesTheEndpointWithFewestRequestsWaiting()
    {
        EndpointSignal[] three = [Busy(5), Busy(1), Busy(3)];

        Assert.Equal(1, Pick(three, EndpointSelection.LeastPending, tried: 0, avoid: None, start: 0));
        Assert.Equal(1, Pick(three, EndpointSelection.LeastPending, tried: 0, avoid: None, start: 2));
    }

    [Fact]
    public void LeastPendingBreaksTiesInRotationOrder()
    {
        EndpointSignal[] three = [Busy(2), Busy(2), Busy(2)];

        Assert.Equal(0, Pick(three, EndpointSelection.LeastPending, tried: 0, avoid: None, start: 0));
        Assert.Equal(2, Pick(three, EndpointSelection.LeastPending, tried: 0, avoid: None, start: 2));
    }

    [Theory]
    [InlineData(EndpointSelection.RoundRobin)]
    [InlineData(EndpointSelection.LeastPending)]
    public void TheAvoidedEndpointIsTakenOnlyWhenNoOtherIsUp(EndpointSelection selection)
    {
        EndpointSignal[] two = [s_up, Busy(9)];
        Assert.Equal(1, Pick(two, selection, tried: 0, avoid: 0, start: 0));

        EndpointSignal[] otherDown = [s_up, Down(until: Now + 100)];
        Assert.Equal(0, Pick(otherDown, selection, tried: 0, avoid: 0, start: 0));
        Assert.Equal(0, Pick(two, selection, tried: 0b10, avoid: 0, start: 1));
    }

    [Fact]
    public void WhenEveryEndpointLeftIsDownTheOneDueBackSoonestIsTried()
    {
        EndpointSignal[] three = [Down(until: Now + 300), Down(until: Now + 100), Down(until: Now + 200)];

        Assert.Equal(1, Pick(three, EndpointSelection.RoundRobin, tried: 0, avoid: None, start: 2));
        Assert.Equal(2, Pick(three, EndpointSelection.LeastPending, tried: 0b010, avoid: None, start: 0));
    }

    [Fact]
    public void AnAvoidedEndpointThatIsDownCompetesOnlyOnItsDownTime()
    {
        EndpointSignal[] two = [Down(until: Now + 50), Down(until: Now + 500)];

        Assert.Equal(0, Pick(two, EndpointSelection.RoundRobin, tried: 0, avoid: 0, start: 1));
        Assert.Equal(1, Pick(two, EndpointSelection.RoundRobin, tried: 0b01, avoid: 0, start: 0));
    }

    [Fact]
    public void NothingIsLeftOnceEveryEndpointWasTried()
    {
        EndpointSignal[] three = [s_up, Down(until: Now + 1), s_up];

        Assert.Equal(None, Pick(three, EndpointSelection.LeastPending, tried: 0b111, avoid: 1, start: 0));
    }

    [Fact]
    public void TheLastOfSixtyFourEndpointsCanBeChosen()
    {
        var many = Enumerable.Repeat(s_up, EndpointSelector.MaxEndpoints).ToArray();

        Assert.Equal(63, Pick(many, EndpointSelection.RoundRobin, tried: ulong.MaxValue >> 1, avoid: None, start: 0));
    }

    private static int Pick(EndpointSignal[] endpoints, EndpointSelection selection, ulong tried, int avoid, uint start = 0) =>
        EndpointSelector.Pick(endpoints, selection, tried, avoid, Now, start);

    private static EndpointSignal Down(long until) => new(until, 0);

    private static EndpointSignal Busy(int pending) => new(0, pending);
}
