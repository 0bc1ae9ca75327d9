using LlmBatch.Resilience;

namespace LlmBatch.Tests.Resilience;

public class RetryBackoffTests
{
    [Fact]
    public void Next_FullJitter_StaysWithinDoublingBoundAndCap()
    {
        var backoff = new RetryBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), new Random(42));
        for (var retry = 1; retry <= 8; retry++)
        {
            var bound = backoff.UpperBound(retry);
            Assert.Equal(TimeSpan.FromSeconds(Math.Min(10, Math.Pow(2, retry - 1))), bound);
            var max = TimeSpan.Zero;
            for (var i = 0; i < 2000; i++)
            {
                var d = backoff.Next(retry, null);
                Assert.InRange(d, TimeSpan.Zero, bound);
                max = d > max ? d : max;
            }

            // Full jitter spreads over the whole range, not just its top.
            Assert.True(max > bound * 0.9, $"retry {retry}: max {max} of bound {bound}");
        }
    }

    [Fact]
    public void Next_ServerDelay_TakesPrecedence()
    {
        var backoff = new RetryBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), new Random(1));
        var d = backoff.Next(5, TimeSpan.FromSeconds(20));
        Assert.InRange(d, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20.25));
    }
}
