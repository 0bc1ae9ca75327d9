using System.Text;
using LlmBatch.Caching;
using LlmBatch.Input;

namespace LlmBatch.Tests.Caching;

public sealed class CanonicalJsonTests
{
    private static UInt128 H(string json) => CanonicalJson.Hash(Encoding.UTF8.GetBytes(json));

    [Theory]
    [InlineData("""{"a":1,"b":[1,2],"c":{"x":"y","z":null}}""", """ { "c" : { "z":null, "x":"y" } ,"b":[ 1 , 2 ],"a":1 } """)]
    [InlineData("""{"s":"A\n"}""", """{"s":"\u0041\u000a"}""")]
    [InlineData("""{"t":0}""", """{"t":0.0}""")]
    [InlineData("""{"t":1.5}""", """{"t":1.50}""")]
    [InlineData("""{"t":100}""", """{"t":1e2}""")]
    public void Hash_SameMeaningWrittenDifferently_Equal(string a, string b) => Assert.Equal(H(a), H(b));

    [Theory]
    [InlineData("""{"a":[1,2]}""", """{"a":[2,1]}""")]
    [InlineData("""{"a":"1"}""", """{"a":1}""")]
    [InlineData("""{"a":{}}""", """{"a":[]}""")]
    [InlineData("""{"a":null}""", """{"a":false}""")]
    [InlineData("""{"a":1}""", """{"b":1}""")]
    [InlineData("""{"a":{"b":1},"c":2}""", """{"a":{"c":2},"b":1}""")]
    [InlineData("""{"a":1}""", """{"a":1,"a":1}""")]
    public void Hash_DifferentMeaning_Differ(string a, string b) => Assert.NotEqual(H(a), H(b));

    [Theory]
    [InlineData("""{"model":"m","temperature":0}""", true)]
    [InlineData("""{"model":"m","seed":42,"temperature":1}""", true)]
    [InlineData("""{"model":"m","temperature":0.7}""", false)]
    [InlineData("""{"model":"m"}""", false)]
    [InlineData("""{"model":"m","seed":null}""", false)]
    [InlineData("""{"model":"m","messages":[{"temperature":0}]}""", false)]
    public void IsDeterministic_TopLevelTemperatureZeroOrSeed(string body, bool expected) =>
        Assert.Equal(expected, CanonicalJson.IsDeterministic(Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void RequestKey_SameBodyOtherProviderOrEndpoint_Differs()
    {
        var chat = BatchRequest.Create("a", "/v1/chat/completions", """{"model":"m","messages":[]}""");
        var completion = BatchRequest.Create("b", "/v1/completions", """{"model":"m","messages":[]}""");
        var reordered = BatchRequest.Create("c", "/v1/chat/completions", """{ "messages":[], "model":"m" }""");

        Assert.Equal(RequestKey.Compute("http://a/v1", chat), RequestKey.Compute("http://a/v1/", reordered));
        Assert.NotEqual(RequestKey.Compute("http://a/v1", chat), RequestKey.Compute("http://b/v1", chat));
        Assert.NotEqual(RequestKey.Compute("http://a/v1", chat), RequestKey.Compute("http://a/v1", completion));
    }
}
