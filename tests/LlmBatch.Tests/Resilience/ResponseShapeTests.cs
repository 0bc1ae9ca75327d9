using LlmBatch.Input;
using LlmBatch.Resilience;

namespace LlmBatch.Tests.Resilience;

public class ResponseShapeTests
{
    [Theory]
    [InlineData("""{"object":"response","output":[]}""", BatchEndpointKind.Responses, true)]
    [InlineData("""{"object":"text_completion","choices":[{"text":"x"}]}""", BatchEndpointKind.Completions, true)]
    [InlineData("""{"nested":{"choices":[]}}""", BatchEndpointKind.ChatCompletions, false)]
    [InlineData("""[{"choices":[]}]""", BatchEndpointKind.ChatCompletions, false)]
    [InlineData("""{"choices":[]}   """, BatchEndpointKind.ChatCompletions, true)]
    public void IsValid_Shapes_Expected(string body, BatchEndpointKind endpoint, bool expected) =>
        Assert.Equal(expected, ResponseShape.IsValid(System.Text.Encoding.UTF8.GetBytes(body), endpoint));
}
