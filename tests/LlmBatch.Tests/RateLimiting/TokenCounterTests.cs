using LlmBatch.Input;
using LlmBatch.RateLimiting;

namespace LlmBatch.Tests.RateLimiting;

public class TokenCounterTests
{
    private static readonly TokenCounter Counter = TokenCounter.Shared;

    // The example conversation of OpenAI's cookbook "How to count tokens with tiktoken"; the API itself reported
    // 129 prompt tokens for gpt-3.5-turbo and gpt-4, and 124 for gpt-4o and gpt-4o-mini.
    private const string CookbookMessages = """
        [
          {"role":"system","content":"You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
          {"role":"system","name":"example_user","content":"New synergies will help drive top-line growth."},
          {"role":"system","name":"example_assistant","content":"Things working well together will increase revenue."},
          {"role":"system","name":"example_user","content":"Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
          {"role":"system","name":"example_assistant","content":"Let's talk later when we're less busy about how to do better."},
          {"role":"user","content":"This late pivot means we don't have time to boil the ocean for the client deliverable."}
        ]
        """;

    private static BatchRequest Chat(string model, string messages, string extra = "") =>
        BatchRequest.Create("a", "/v1/chat/completions", $$"""{"model":"{{model}}","messages":{{messages}}{{extra}}}""");

    [Theory]
    [InlineData("gpt-4o", "hello world", 2)]
    [InlineData("gpt-4", "hello world", 2)]
    [InlineData("gpt-4o", "tiktoken is great!", 6)]
    [InlineData("gpt-3.5-turbo", "tiktoken is great!", 6)]
    [InlineData("gpt-4o", "", 0)]
    public void CountText_KnownStrings_MatchTiktoken(string model, string text, int expected)
    {
        Assert.Equal(expected, Counter.CountText(model, text));
    }

    [Theory]
    [InlineData("gpt-4o-mini", "o200k_base")]
    [InlineData("gpt-4o", "o200k_base")]
    [InlineData("gpt-4.1-nano", "o200k_base")]
    [InlineData("gpt-4.5-preview", "o200k_base")]
    [InlineData("gpt-5", "o200k_base")]
    [InlineData("o1-mini", "o200k_base")]
    [InlineData("o3", "o200k_base")]
    [InlineData("o4-mini", "o200k_base")]
    [InlineData("chatgpt-4o-latest", "o200k_base")]
    [InlineData("llama3.1:8b", "o200k_base")]
    [InlineData("ft:gpt-4o-mini:org::abc", "o200k_base")]
    [InlineData("gpt-4", "cl100k_base")]
    [InlineData("gpt-4-turbo", "cl100k_base")]
    [InlineData("gpt-4-0613", "cl100k_base")]
    [InlineData("gpt-3.5-turbo", "cl100k_base")]
    [InlineData("text-embedding-3-small", "cl100k_base")]
    [InlineData("text-embedding-ada-002", "cl100k_base")]
    [InlineData("ft:gpt-3.5-turbo:org::abc", "cl100k_base")]
    public void EncodingFor_ModelFamilies_PickTheirEncoding(string model, string encoding)
    {
        Assert.Equal(encoding, TokenCounter.EncodingFor(model));
    }

    [Fact]
    public void CountText_LongProse_ExactlyAsOneCount()
    {
        var words = new[] { "alpha", "beta,", "gamma", "delta.", "epsilon", "zeta", "eta", "theta\n" };
        var sb = new System.Text.StringBuilder();
        for (var i = 0; sb.Length < 100_000; i++)
        {
            sb.Append(words[i % words.Length]).Append(' ');
        }

        var text = sb.ToString();
        var direct = Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForEncoding("o200k_base").CountTokens(text);
        Assert.Equal(direct, TokenCounter.Shared.CountText("gpt-4o", text));
    }

    [Fact]
    public void CountText_MegabyteWithoutWhitespace_CountedInSlices()
    {
        // One pre-token of a million characters would take minutes to merge; sliced, it is an ordinary count.
        var count = TokenCounter.Shared.CountText("gpt-4o", new string('x', 1_000_000));
        Assert.InRange(count, 1_000_000 / 16, 1_000_000);
    }

    [Fact]
    public void CountText_EncodingsDiffer_ModelChoosesEncoding()
    {
        // A text whose count differs between the two encodings proves the model picks the encoding.
        const string text = "Счастье не в деньгах, а в их количестве. 幸福不在于金钱，而在于金钱的数量。";
        Assert.NotEqual(Counter.CountText("gpt-4", text), Counter.CountText("gpt-4o", text));
        Assert.Equal(Counter.CountText("gpt-4o", text), Counter.CountText("some-local-model", text));
    }

    [Theory]
    [InlineData("gpt-3.5-turbo-0613", 129)]
    [InlineData("gpt-4-0613", 129)]
    [InlineData("gpt-4o", 124)]
    [InlineData("gpt-4o-mini", 124)]
    public void CountPromptTokens_CookbookConversation_MatchesApiReportedUsage(string model, int expected)
    {
        Assert.Equal(expected, Counter.CountPromptTokens(Chat(model, CookbookMessages)));
    }

    [Fact]
    public void CountPromptTokens_Chat_AppliesPerMessageFormula()
    {
        var messages = """[{"role":"system","content":"hello world"},{"role":"user","name":"bob","content":"tiktoken is great!"}]""";

        var count = Counter.CountPromptTokens(Chat("gpt-4o", messages));

        // (3 + system 1 + 2) + (3 + user 1 + bob 1 + 1 per name + 6) + 3 reply priming
        var expected = (3 + Counter.CountText("gpt-4o", "system") + 2)
            + (3 + Counter.CountText("gpt-4o", "user") + Counter.CountText("gpt-4o", "bob") + 1 + 6)
            + 3;
        Assert.Equal(expected, count);
        Assert.Equal(21, count);
    }

    [Fact]
    public void CountPromptTokens_ChatContentParts_CountsOnlyTextParts()
    {
        var parts = """[{"role":"user","content":[{"type":"text","text":"hello world"},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}},{"text":"tiktoken is great!","type":"text"}]}]""";
        var plain = """[{"role":"user","content":""}]""";

        var withParts = Counter.CountPromptTokens(Chat("gpt-4o", parts));
        var empty = Counter.CountPromptTokens(Chat("gpt-4o", plain));

        Assert.Equal(empty + 2 + 6, withParts);
    }

    [Fact]
    public void CountPromptTokens_EscapedAndLongStrings_DecodedBeforeCounting()
    {
        var longText = string.Join(' ', Enumerable.Repeat("tiktoken is great!", 100));
        var escaped = Chat("gpt-4o", """[{"role":"user","content":"hello\u0020world"}]""");
        var plain = Chat("gpt-4o", """[{"role":"user","content":"hello world"}]""");
        var big = Chat("gpt-4o", $$"""[{"role":"user","content":"{{longText}}"}]""");

        Assert.Equal(Counter.CountPromptTokens(plain), Counter.CountPromptTokens(escaped));
        Assert.Equal(3 + 1 + Counter.CountText("gpt-4o", longText) + 3, Counter.CountPromptTokens(big));
    }

    [Fact]
    public void CountPromptTokens_OtherBodyFieldsIgnored()
    {
        var bare = Chat("gpt-4o", """[{"role":"user","content":"hi"}]""");
        var withExtras = Chat("gpt-4o", """[{"role":"user","content":"hi"}]""", ""","temperature":0.2,"tools":[{"type":"function","function":{"name":"f","parameters":{}}}],"metadata":{"messages":"not these"}""");

        Assert.Equal(Counter.CountPromptTokens(bare), Counter.CountPromptTokens(withExtras));
    }

    [Fact]
    public void CountPromptTokens_Completions_StringOrArrayOfStrings()
    {
        var single = BatchRequest.Create("a", "/v1/completions", """{"model":"gpt-3.5-turbo-instruct","prompt":"tiktoken is great!"}""");
        var many = BatchRequest.Create("a", "/v1/completions", """{"model":"gpt-3.5-turbo-instruct","prompt":["tiktoken is great!","hello world"]}""");

        Assert.Equal(6, Counter.CountPromptTokens(single));
        Assert.Equal(8, Counter.CountPromptTokens(many));
    }

    [Theory]
    [InlineData("\"hello world\"", 2)]
    [InlineData("[\"hello world\",\"tiktoken is great!\"]", 8)]
    [InlineData("[15339, 1917, 0]", 3)]
    [InlineData("[[1,2,3],[4,5]]", 5)]
    public void CountPromptTokens_Embeddings_AllInputShapes(string input, int expected)
    {
        var request = BatchRequest.Create("a", "/v1/embeddings", $$"""{"model":"text-embedding-3-small","input":{{input}}}""");

        Assert.Equal(expected, Counter.CountPromptTokens(request));
    }

    [Fact]
    public void CountPromptTokens_Responses_InputStringOrMessagesPlusInstructions()
    {
        var text = BatchRequest.Create("a", "/v1/responses", """{"model":"gpt-4o","input":"hello world","instructions":"tiktoken is great!"}""");
        var messages = BatchRequest.Create("a", "/v1/responses", """{"model":"gpt-4o","input":[{"role":"user","content":[{"type":"input_text","text":"hello world"},{"type":"input_image","image_url":"https://x"}]}]}""");

        Assert.Equal(2 + 3 + 6, Counter.CountPromptTokens(text));
        Assert.Equal(3 + 1 + 2 + 3, Counter.CountPromptTokens(messages));
    }

    [Fact]
    public void EstimateCost_Chat_AddsBodyLimitOrDefault()
    {
        var withLimit = Chat("gpt-4o", """[{"role":"user","content":"hello world"}]""", ""","max_completion_tokens":100""");
        var withoutLimit = Chat("gpt-4o", """[{"role":"user","content":"hello world"}]""");

        Assert.Equal(9 + 100, Counter.EstimateCost(withLimit, 256));
        Assert.Equal(9 + 256, Counter.EstimateCost(withoutLimit, 256));
    }

    [Fact]
    public void EstimateCost_Embeddings_PromptOnly()
    {
        var request = BatchRequest.Create("a", "/v1/embeddings", """{"model":"text-embedding-3-small","input":"hello world"}""");

        Assert.Equal(2, Counter.EstimateCost(request, 256));
    }

    [Fact]
    public void CountPromptTokens_ManyThreads_SameAnswer()
    {
        var request = Chat("gpt-4o", CookbookMessages);
        var results = new int[64];

        Parallel.For(0, results.Length, i => results[i] = Counter.CountPromptTokens(request));

        Assert.All(results, r => Assert.Equal(124, r));
    }

    public static TheoryData<string, string> EveryShape() => new()
    {
        { "/v1/chat/completions", $$"""{"model":"gpt-4o","messages":{{CookbookMessages}}}""" },
        { "/v1/chat/completions", $$"""{"model":"gpt-4","messages":{{CookbookMessages}}}""" },
        { "/v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"line\nbreak \"quoted\" caf\u00e9 \ud83d\ude00 日本語のテキスト 😀"}]}""" },
        { "/v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","name":"","content":[{"type":"text","text":"part one"},{"type":"image_url","image_url":{"url":"x"}},{"text":"part two","type":"text"}]},"bare string"]}""" },
        { "/v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":""}]}""" },
        { "/v1/chat/completions", """{"model":"gpt-4o","messages":[{},{}]}""" },
        { "/v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"\ud800 lone surrogate"}]}""" },
        { "/v1/completions", """{"model":"gpt-3.5-turbo-instruct","prompt":["one two","three"]}""" },
        { "/v1/completions", """{"model":"gpt-3.5-turbo-instruct","prompt":[[1,2,3],[4]]}""" },
        { "/v1/embeddings", """{"model":"text-embedding-3-small","input":"hello world"}""" },
        { "/v1/responses", """{"model":"gpt-4o","instructions":"Be brief.","input":[{"role":"user","content":[{"type":"input_text","text":"hi there"}]}]}""" },
        { "/v1/responses", """{"model":"gpt-4o","input":"just a string"}""" },
    };

    [Theory]
    [MemberData(nameof(EveryShape))]
    public void CountPromptTokens_EveryShape_NeverAboveTheBodyLength(string url, string body)
    {
        // The rate limiter reserves the body's length while a token budget is far from binding (ResourceController).
        var request = BatchRequest.Create("a", url, body);

        Assert.InRange(Counter.CountPromptTokens(request), 0, request.Body.Length);
    }

    [Fact]
    public void CountPromptTokens_LongTextWithoutWhitespace_NeverAboveTheBodyLength()
    {
        // Longer than a counting slice, so the count cuts it mid-run: still at most a token per byte.
        var blob = string.Concat(Enumerable.Repeat("aGVsbG8gd29ybGQ", 3000));
        var request = Chat("gpt-4o", $$"""[{"role":"user","content":"{{blob}}"}]""");

        Assert.InRange(Counter.CountPromptTokens(request), 1, request.Body.Length);
    }

    [Theory]
    [InlineData("""[{}]""")]
    [InlineData("""[{},{},{},{},{},{}]""")]
    [InlineData("""["","","",""]""")]
    [InlineData("""[{"role":"","content":"","name":""}]""")]
    [InlineData("""[{"role":"","content":[{"text":""},{"text":""}]}]""")]
    public void CountPromptTokens_FramingOnly_NeverAboveTheBodyLength(string messages)
    {
        // The framing (3 a message, 1 a name, 3 for the reply) against the fewest bytes JSON can spell it in.
        var request = BatchRequest.Create("a", "/v1/chat/completions", $$"""{"model":"m","messages":{{messages}}}""");

        Assert.InRange(Counter.CountPromptTokens(request), 3, request.Body.Length);
    }
}
