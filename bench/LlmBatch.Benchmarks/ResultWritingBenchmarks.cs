using System.Buffers;
using BenchmarkDotNet.Attributes;
using LlmBatch.Output;

namespace LlmBatch.Benchmarks;

/// <summary>Writing one result line (Batch API shape plus the llmbatch key) into a reused buffer.</summary>
[MemoryDiagnoser]
public class ResultWritingBenchmarks
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private BatchResult _result = null!;

    [GlobalSetup]
    public void Setup()
    {
        var now = DateTimeOffset.UtcNow;
        _result = new BatchResult
        {
            CustomId = "r0000042",
            Id = "batch_req_3f2a9c0d1e4b5a67",
            StatusCode = 200,
            RequestId = "req_123",
            ResponseBody = SampleData.ResponseBody,
            LineNumber = 42,
            Stats = new BatchItemStats
            {
                Attempts = 2,
                Statuses = [429, 200],
                StartedAt = now,
                FinishedAt = now.AddMilliseconds(897),
                LatencyMs = 412.5,
                LimiterWaitMs = 3.1,
                PromptTokens = 41,
                CompletionTokens = 37,
                UsageReported = true,
                Model = "gpt-4o-mini",
            },
        };
    }

    [Benchmark(Description = "ResultLineWriter.Write (200, 0.8 KB body)")]
    public int Write()
    {
        _buffer.ResetWrittenCount();
        ResultLineWriter.Write(_buffer, _result);
        return _buffer.WrittenCount;
    }
}
