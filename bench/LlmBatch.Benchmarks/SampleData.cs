using System.Text;
using LlmBatch.Input;

namespace LlmBatch.Benchmarks;

/// <summary>The request line and response body every micro benchmark uses: the shape the macro benchmark sends.</summary>
public static class SampleData
{
    public const string Prompt =
        "Item r0000042: the of and to in is that for it as was with be by on not he this are or his from at which but have an had they";

    public static readonly byte[] InputLine = Encoding.UTF8.GetBytes(
        "{\"custom_id\":\"r0000042\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\"," +
        "\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},{\"role\":\"user\",\"content\":\"" + Prompt + "\"}],\"max_tokens\":64}}");

    public static readonly byte[] ResponseBody = Encoding.UTF8.GetBytes(
        "{\"id\":\"chatcmpl-42\",\"object\":\"chat.completion\",\"created\":1764298800,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0," +
        "\"message\":{\"role\":\"assistant\",\"content\":\"state family group country problem hand part place case week company system program " +
        "question work government number night point home water room mother area money story fact month lot right study book\",\"refusal\":null," +
        "\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":41,\"completion_tokens\":37," +
        "\"total_tokens\":78,\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}}," +
        "\"service_tier\":\"default\",\"system_fingerprint\":\"fp_llmbatch_sim\"}");

    public static BatchRequest Request(int i) =>
        BatchRequest.Create("r" + i.ToString("D7", System.Globalization.CultureInfo.InvariantCulture), "/v1/chat/completions",
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" + Prompt + "\"}],\"max_tokens\":64}");
}
