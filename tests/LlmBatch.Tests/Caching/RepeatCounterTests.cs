using LlmBatch.Caching;
using LlmBatch.Input;
using LlmBatch.Tests.TestSupport;

namespace LlmBatch.Tests.Caching;

public class RepeatCounterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ValidateAsync_WithCounter_IndexesRepeatsInTheSamePassAsReadingAgainDoes()
    {
        // 3,000 lines (past the line where the check estimates the count), bodies repeating every 7 lines, some not
        // deterministic: the one-pass index must equal the index built by reading the file again.
        var lines = new string[3_000];
        for (var i = 0; i < lines.Length; i++)
        {
            var temperature = i % 5 == 0 ? "" : ",\"temperature\":0";
            lines[i] = TempFile.Chat("r" + i, content: "item " + (i % 7), extra: temperature);
        }

        using var file = TempFile.WithLines(lines);
        var expect = new CountingSink();
        using var counter = new RepeatCounter(ReusePolicy.Deterministic, "http://127.0.0.1/v1");
        var report = await BatchInputFile.ValidateAsync(file.Path, new BatchValidationOptions { CountTokens = false }, new TeeSink(counter, expect), Ct);
        var index = counter.Build();
        var again = await RepeatIndex.BuildAsync(BatchInputFile.ReadAsync(file.Path, Ct), ReusePolicy.Deterministic, "http://127.0.0.1/v1", Ct);

        Assert.True(report.IsValid);
        Assert.Equal(3_000, expect.Added);
        Assert.InRange(expect.Expected, 3_000, 3_400);
        Assert.Equal(again.Requests, index.Requests);
        Assert.Equal(again.Reusable, index.Reusable);
        Assert.Equal(again.Repeats, index.Repeats);
        Assert.Equal(again.RepeatedBodies, index.RepeatedBodies);
        Assert.Equal(7, index.RepeatedBodies);
    }

    [Fact]
    public async Task ValidateAsync_DuplicateIdAndBadLine_SinkSeesOnlyTheGoodFirstUses()
    {
        using var file = TempFile.WithLines(TempFile.Chat("a"), TempFile.Chat("a"), "{\"custom_id\":\"b\"}", TempFile.Chat("c"));
        var sink = new CountingSink();

        var report = await BatchInputFile.ValidateAsync(file.Path, new BatchValidationOptions { CountTokens = false }, sink, Ct);

        Assert.False(report.IsValid);
        Assert.Equal(2, sink.Added);
        Assert.Equal(0, sink.Expected);
    }

    private sealed class CountingSink : IRequestSink
    {
        public long Expected { get; private set; }

        public long Added { get; private set; }

        public void Expect(long requests) => Expected = requests;

        public void Add(BatchRequest request) => Added++;
    }

    private sealed class TeeSink(IRequestSink first, IRequestSink second) : IRequestSink
    {
        public void Expect(long requests)
        {
            first.Expect(requests);
            second.Expect(requests);
        }

        public void Add(BatchRequest request)
        {
            first.Add(request);
            second.Add(request);
        }
    }
}
