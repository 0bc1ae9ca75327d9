using LlmBatch.Cli.Infrastructure;

namespace LlmBatch.Cli.Tests.Infrastructure;

public sealed class EndpointsFileTests
{
    [Fact]
    public void Parse_ArrayWithoutNames_NamedAfterHostAndPortUniquely()
    {
        var entries = EndpointsFile.Parse("e.json", """
            [
              {"base_url": "https://east.openai.azure.com/openai/v1?api-version=preview", "api_key_env": "EAST_KEY", "model": "gpt-4o-mini-east", "tpm": 150000},
              {"base_url": "http://10.0.0.5:8000/v1"},
              {"base_url": "http://10.0.0.5:8000/v1", "weight": 0.5}
            ]
            """);

        Assert.Equal(["east.openai.azure.com", "10.0.0.5:8000", "10.0.0.5:8000#2"], entries.Select(e => e.Name));
        Assert.Equal("EAST_KEY", entries[0].ApiKeyEnv);
        Assert.Equal("gpt-4o-mini-east", entries[0].Model);
        Assert.Equal(150000, entries[0].Tpm);
        Assert.Null(entries[1].ApiKeyEnv);
        Assert.Equal(0.5, entries[2].Weight);
    }

    [Fact]
    public void Parse_ObjectWithEndpoints_ReadsTheList()
    {
        var entries = EndpointsFile.Parse("e.json", """{"endpoints": [{"name": "a", "base_url": "http://localhost:1/v1", "rpm": 600}]}""");

        Assert.Equal("a", Assert.Single(entries).Name);
        Assert.Equal(600, entries[0].Rpm);
    }

    [Fact]
    public void Parse_DuplicateNamesAndUserInfo_EveryProblemListed()
    {
        var error = Assert.Throws<BatchOptionsException>(() => EndpointsFile.Parse("e.json", """
            [
              {"name": "a", "base_url": "http://user:secret@localhost:1/v1"},
              {"name": "a", "base_url": "http://localhost:2/v1"},
              {"name": "a", "base_url": "http://localhost:3/v1", "weight": "heavy"},
              "oops"
            ]
            """));

        Assert.Equal(5, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.StartsWith("e.json: entry 0: base_url: must not contain a user name", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("e.json: entry 2: weight:", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("e.json: entry 3: expected an object", StringComparison.Ordinal));
        Assert.Equal(2, error.Problems.Count(p => p.Contains("is already the name of an earlier entry", StringComparison.Ordinal)));
        Assert.DoesNotContain(error.Problems, p => p.Contains("secret", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_NotJsonOrEmpty_OneClearProblem()
    {
        Assert.Contains("not valid JSON", Assert.Throws<BatchOptionsException>(() => EndpointsFile.Parse("e.json", "{")).Problems[0], StringComparison.Ordinal);
        Assert.Contains("non-empty array", Assert.Throws<BatchOptionsException>(() => EndpointsFile.Parse("e.json", "[]")).Problems[0], StringComparison.Ordinal);
    }
}
