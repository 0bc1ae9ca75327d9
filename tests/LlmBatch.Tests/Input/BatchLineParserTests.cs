using System.Text;
using LlmBatch.Input;

namespace LlmBatch.Tests.Input;

public class BatchLineParserTests
{
    public static TheoryData<string> ValidLines() =>
    [
        """{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi \"there\" \u00e9"}],"max_tokens":64}}""",
        """{"body":{"max_completion_tokens":10,"model":"m\u0065","max_tokens":99,"messages":[]},"url":"/v1/chat/completions","method":"POST","custom_id":"b\n2"}""",
        """{"custom_id":"c","method":"POST","url":"/v1/embeddings","body":{"model":"text-embedding-3-small","input":["x","y"],"extra":{"nested":[1,2,{"k":null}]}}}""",
        """{"custom_id":"d","method":"POST","url":"/v1/chat/completions","note":{"any":[true,false]},"body":{"model":"m","stream":false,"max_tokens":null,"messages":[{"role":"user","content":[{"type":"text","text":"t"}]}]}}""",
        """ {"custom_id":"e","method":"post","url":"/chat/completions","body":{"messages":[],"model":"m2","max_tokens":0}} """,
        """{"custom_id":"f","method":"POST","url":"/v1/chat/completions","body":{"model":"m","temperature":0,"messages":[{"role":"user","content":"x"}]}}""",
        """{"custom_id":"g","method":"POST","url":"/v1/chat/completions","body":{"model":"m","temperature":0.0e0,"seed":null}}""",
        """{"custom_id":"h","method":"POST","url":"/v1/chat/completions","body":{"model":"m","temperature":0.7,"seed":{"odd":[1]},"x":{"temperature":0}}}""",
        """{"custom_id":"i","method":"POST","url":"/v1/chat/completions","body":{"model":"m","temperature":"0","seed":null,"nested":{"seed":1}}}""",
    ];

    [Theory]
    [MemberData(nameof(ValidLines))]
    public void ParseLine_CheckedBefore_SameRequestAsTheFullCheck(string text)
    {
        var line = Encoding.UTF8.GetBytes(text);
        var fullErrors = new List<BatchInputError>();
        var oneErrors = new List<BatchInputError>();

        var full = BatchLineParser.ParseLine(line, "in.jsonl", 7, fullErrors, copyBody: true);
        var one = BatchLineParser.ParseLine(line, "in.jsonl", 7, oneErrors, copyBody: true, checkedBefore: true);

        Assert.Empty(fullErrors);
        Assert.Empty(oneErrors);
        Assert.NotNull(full);
        Assert.NotNull(one);
        Assert.Equal(full.CustomId, one.CustomId);
        Assert.Equal(full.Endpoint, one.Endpoint);
        Assert.Equal(full.Url, one.Url);
        Assert.Equal(full.Body.ToArray(), one.Body.ToArray());
        Assert.Equal(full.Model, one.Model);
        Assert.Equal(full.MaxOutputTokens, one.MaxOutputTokens);
        Assert.Equal(full.LineNumber, one.LineNumber);
        var deterministic = LlmBatch.Caching.CanonicalJson.IsDeterministic(full.Body.Span);
        Assert.Equal(deterministic, full.IsDeterministic);
        Assert.Equal(deterministic, one.IsDeterministic);
    }

    [Theory]
    [InlineData("""{"model":"m","temperature":0}""", true)]
    [InlineData("""{"model":"m","seed":7}""", true)]
    [InlineData("""{"model":"m","seed":null,"temperature":1}""", false)]
    [InlineData("""{"model":"m"}""", false)]
    public void IsDeterministic_RequestBuiltInCode_WorkedOutFromTheBody(string body, bool expected)
    {
        var request = new BatchRequest("a", BatchEndpointKind.ChatCompletions, "/v1/chat/completions", Encoding.UTF8.GetBytes(body), "m", null, 0);

        Assert.Equal(expected, request.IsDeterministic);
        Assert.Equal(expected, request.IsDeterministic);
    }

    [Theory]
    [InlineData("""{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"messages":[]}}""", "body.model")]
    [InlineData("""{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":"text"}""", "body")]
    [InlineData("""{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","stream":true}}""", "body.stream")]
    [InlineData("""{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","max_tokens":-1}}""", "body.max_tokens")]
    [InlineData("""{"method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}""", "custom_id")]
    public void ParseLine_CheckedBeforeButChangedSince_StillRefusedNamingTheField(string text, string field)
    {
        var errors = new List<BatchInputError>();

        var request = BatchLineParser.ParseLine(Encoding.UTF8.GetBytes(text), "in.jsonl", 3, errors, copyBody: true, checkedBefore: true);

        Assert.Null(request);
        Assert.Contains(errors, e => e.Field == field && e.Line == 3);
    }
}
