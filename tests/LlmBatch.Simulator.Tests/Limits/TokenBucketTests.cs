namespace LlmBatch.Simulator.Tests.Limits;

public class TokenBucketTests
{
    [Fact]
    public void Bucket_StartsFullAtBurstCapacity_RefillsContinuously()
    {
        var bucket = new TokenBucket(perMinute: 600, burstSeconds: 1, nowSeconds: 0);
        Assert.Equal(10, bucket.Remaining);
        bucket.Take(10);
        Assert.Equal(0, bucket.Remaining);
        Assert.Equal(0.1, bucket.WaitFor(1), 9);
        bucket.Refill(0.05);
        Assert.Equal(0.05, bucket.WaitFor(1), 9);
        bucket.Refill(10);
        Assert.Equal(10, bucket.Remaining);
        Assert.Equal(TimeSpan.Zero, bucket.UntilFull);
    }

    [Fact]
    public void Bucket_CostAboveCapacity_FitsOnlyWhenFull()
    {
        var bucket = new TokenBucket(perMinute: 60, burstSeconds: 1, nowSeconds: 0);
        Assert.Equal(0, bucket.WaitFor(5));
        bucket.Take(5);
        Assert.Equal(5, bucket.WaitFor(5), 9);
        Assert.Equal(TimeSpan.FromSeconds(5), bucket.UntilFull);
        Assert.Equal(0, bucket.Remaining);
    }
}
