using PluggableNet.Server.Connections;

namespace PluggableNet.UnitTests.Connections;

/// <summary>A full offload gate signals its waiters when a slot frees, as many as slots free, first come first served: nobody polls.</summary>
public sealed class OffloadGateSignalTests
{
    [Fact]
    public void AWaiterIsSignalledWhenASlotFreesAndNotBefore()
    {
        var gate = new OffloadGate(1);
        Assert.True(gate.TryEnter());
        var waiter = new Waiter();

        gate.WaitForSlot(waiter);
        Assert.Equal(0, waiter.Signals);

        gate.Exit();
        Assert.Equal(1, waiter.Signals);
        Assert.True(gate.TryEnter());
    }

    [Fact]
    public void ASlotFreedBeforeTheWaiterRegisteredIsNotMissed()
    {
        var gate = new OffloadGate(1);
        Assert.True(gate.TryEnter());
        Assert.False(gate.TryEnter());
        gate.Exit();

        var waiter = new Waiter();
        gate.WaitForSlot(waiter);

        Assert.Equal(1, waiter.Signals);
    }

    [Fact]
    public void OneFreedSlotSignalsOneWaiterInTheOrderTheyCame()
    {
        var gate = new OffloadGate(2);
        Assert.True(gate.TryEnter());
        Assert.True(gate.TryEnter());
        var first = new Waiter();
        var second = new Waiter();
        gate.WaitForSlot(first);
        gate.WaitForSlot(second);

        gate.Exit();
        Assert.Equal((1, 0), (first.Signals, second.Signals));

        Assert.True(gate.TryEnter());
        gate.Exit();
        Assert.Equal((1, 1), (first.Signals, second.Signals));
    }

    [Fact]
    public void AWaiterThatNoLongerWaitsPassesTheSlotToTheNext()
    {
        var gate = new OffloadGate(1);
        Assert.True(gate.TryEnter());
        var gone = new Waiter { Waiting = false };
        var next = new Waiter();
        gate.WaitForSlot(gone);
        gate.WaitForSlot(next);

        gate.Exit();

        Assert.Equal((1, 1), (gone.Signals, next.Signals));
    }

    [Fact]
    public void ASignalledWaiterThatLeavesWithoutTheSlotCanHandItOn()
    {
        var gate = new OffloadGate(1);
        Assert.True(gate.TryEnter());
        var leaving = new Waiter();
        var next = new Waiter();
        gate.WaitForSlot(leaving);
        gate.WaitForSlot(next);
        gate.Exit();
        Assert.Equal(0, next.Signals);

        // Its connection closed before it took the slot.
        gate.WakeWaiters();

        Assert.Equal(1, next.Signals);
    }

    [Fact]
    public void AnAbandonedCallFreesASlotForAWaiterWithinTheBound()
    {
        var gate = new OffloadGate(1, maxAbandoned: 1);
        Assert.True(gate.TryEnter());
        var waiter = new Waiter();
        gate.WaitForSlot(waiter);

        gate.Abandon(100);
        Assert.Equal(1, waiter.Signals);
        Assert.True(gate.TryEnter());

        // Beyond the bound an abandoned call keeps its slot until it really ends.
        gate.Abandon(100);
        var late = new Waiter();
        gate.WaitForSlot(late);
        Assert.Equal(0, late.Signals);

        gate.AbandonedEnded(100);
        Assert.Equal(1, late.Signals);
    }

    private sealed class Waiter : IOffloadSlotWaiter
    {
        public int Signals { get; private set; }

        public bool Waiting { get; init; } = true;

        public bool OnSlotMayBeFree()
        {
            Signals++;
            return Waiting;
        }
    }
}
