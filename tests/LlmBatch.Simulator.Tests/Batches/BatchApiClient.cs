using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace LlmBatch.Simulator.Tests.Batches;

/// <summary>Raw HTTP calls to the simulated Files and Batches APIs, as a client would make them.</summary>
internal sealed class BatchApiClient(HttpClient client, string root = "")
{
    public static string Lines(int count, Func<int, string>? content = null, string url = "/v1/chat/completions", string model = "gpt-4o-mini") =>
        string.Concat(Enumerable.Range(0, count).Select(i =>
            $$$"""{"custom_id":"item-{{{i}}}","method":"POST","url":"{{{url}}}","body":{"model":"{{{model}}}","messages":[{"role":"user","content":"{{{content?.Invoke(i) ?? $"Tell me about item {i}."}}}"}],"max_tokens":16}}""" + "\n"));

    public async Task<JsonElement> UploadAsync(string content, string filename = "input.jsonl", string purpose = "batch")
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent(purpose), "purpose" },
        };
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(content));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        form.Add(file, "file", filename);
        using var response = await client.PostAsync(root + "files", form, TestContext.Current.CancellationToken);
        return await OkAsync(response);
    }

    public async Task<JsonElement> CreateAsync(string fileId, string endpoint = "/v1/chat/completions", string? metadata = null)
    {
        var body = $$"""{"input_file_id":"{{fileId}}","endpoint":"{{endpoint}}","completion_window":"24h"{{(metadata is null ? "" : ",\"metadata\":" + metadata)}}}""";
        using var response = await SimTest.PostAsync(client, root + "batches", body);
        return await OkAsync(response);
    }

    public async Task<JsonElement> GetAsync(string path)
    {
        using var response = await client.GetAsync(root + path, TestContext.Current.CancellationToken);
        return await OkAsync(response);
    }

    public async Task<string> ContentAsync(string fileId) =>
        await client.GetStringAsync(root + $"files/{fileId}/content", TestContext.Current.CancellationToken);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path) =>
        await client.SendAsync(new HttpRequestMessage(method, root + path), TestContext.Current.CancellationToken);

    public static List<JsonElement> ParseLines(string content) =>
        content.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    private static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        var json = await SimTest.JsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {json}");
        return json;
    }
}
