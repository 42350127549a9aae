using PluggableNet.Tests.Infrastructure;

namespace PluggableNet.Tests.HotSwap;

/// <summary>Waits, on one open connection, for a swap to show in the answers.</summary>
internal static class HotSwapWait
{
    /// <summary>
    /// Asks <paramref name="payload"/> until the answer is <paramref name="expected"/>; every answer before it must be
    /// <paramref name="previous"/> (the old version), so nothing else ever answers in between.
    /// </summary>
    public static async Task AnswerBecomesAsync(FrameClient client, string payload, string previous, string expected, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var answer = await client.AskAsync(payload);
            if (answer == expected)
            {
                return;
            }

            Assert.Equal(previous, answer);
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Still answered \"{answer}\" to \"{payload}\" after {timeout ?? TimeSpan.FromSeconds(15)}; expected \"{expected}\".");
            }

            await Task.Delay(25);
        }
    }
}
