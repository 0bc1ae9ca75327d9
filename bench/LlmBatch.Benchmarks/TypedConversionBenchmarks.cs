using BenchmarkDotNet.Attributes;
using LlmBatch.Input;
using LlmBatch.Typed;
using Microsoft.Extensions.AI;

namespace LlmBatch.Benchmarks;

/// <summary>
/// What the typed API adds per item on top of the byte path: turning messages and options into the request body (and
/// checking it as an input line is checked), and turning the answer back into a <see cref="ChatResponse"/>. The byte
/// path's own per-item parse is the baseline of the same run.
/// </summary>
[MemoryDiagnoser]
public class TypedConversionBenchmarks
{
    private readonly List<BatchInputError> _errors = [];
    private readonly ReadOnlyMemory<byte> _line = SampleData.InputLine;
    private readonly ReadOnlyMemory<byte> _answer = SampleData.ResponseBody;
    private readonly List<ChatMessage> _messages =
    [
        new(ChatRole.System, "You are terse."),
        new(ChatRole.User, SampleData.Prompt),
    ];

    // The same request as the baseline's input line.
    private readonly ChatOptions _options = new() { ModelId = "gpt-4o-mini", MaxOutputTokens = 64 };

    [Benchmark(Baseline = true, Description = "byte path: BatchLineParser.ParseLine (chat line, 2 messages)")]
    public BatchRequest? ParseLine()
    {
        _errors.Clear();
        return BatchLineParser.ParseLine(_line, "input.jsonl", 42, _errors);
    }

    [Benchmark(Description = "typed: ChatMessage/ChatOptions -> checked BatchRequest (2 messages)")]
    public BatchRequest TypedRequest() =>
        BatchRequest.Create("item-42", "/v1/chat/completions", ChatRequestWriter.Write(_messages, _options, defaultModel: null));

    [Benchmark(Description = "typed: chat.completion body -> ChatResponse")]
    public ChatResponse TypedResponse() => ChatCompletionReader.Read(_answer);
}
