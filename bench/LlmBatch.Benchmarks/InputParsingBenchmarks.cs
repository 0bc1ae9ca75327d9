using BenchmarkDotNet.Attributes;
using LlmBatch.Input;

namespace LlmBatch.Benchmarks;

/// <summary>Reading and validating one input line: the work done once per item before anything is sent.</summary>
[MemoryDiagnoser]
public class InputParsingBenchmarks
{
    private readonly List<BatchInputError> _errors = [];
    private readonly ReadOnlyMemory<byte> _line = SampleData.InputLine;

    [Benchmark(Description = "BatchLineParser.ParseLine (chat line, 2 messages)")]
    public BatchRequest? ParseLine()
    {
        _errors.Clear();
        return BatchLineParser.ParseLine(_line, "input.jsonl", 42, _errors);
    }
}
