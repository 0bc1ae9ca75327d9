using System.Text;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Providers;
using LlmBatch.Results;

namespace LlmBatch.LocalModel.Tests;

/// <summary>
/// The shipped sample set classified offline on the embedded model: prepare → embeddings requests → the provider
/// adapter over the local generator → results → the merger's classification. Only the engine's scheduling is left out.
/// </summary>
public class SampleClassificationTests
{
    /// <summary>
    /// Measured 0.710 on the 300 reviews (213 right; see docs/benchmarks.md), with each label embedded as its name and
    /// each phrase of its description, averaged (0.617 when the whole description was one input). Chance is 1/3 for
    /// three balanced labels; the floor sits about 20 items under the measured figure so that a change which breaks
    /// pooling, normalisation, label embedding or the nearest-label choice fails, while the model's own float noise
    /// across CPUs cannot. It also sits above the old figure, so falling back to one input per label fails too.
    /// </summary>
    private const double AccuracyFloor = 0.64;

    private static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }

    [Fact]
    public async Task Classify_SampleReviews_AccuracyAboveFloor()
    {
        var ct = TestContext.Current.CancellationToken;
        var labels = await ClassificationLabel.ReadFileAsync(RepoFile("samples/review-labels.txt"), ct);
        var options = new BatchInputConversionOptions { Url = "/v1/embeddings", Model = LocalModels.EmbeddingModelId };
        var requests = new List<BatchRequest>();
        var metadata = new StringBuilder();
        foreach (var label in labels)
        {
            requests.Add(BatchRequest.Create(BatchResultsMerger.LabelIdPrefix + label.Name, "/v1/embeddings", System.Text.Json.JsonSerializer.Serialize(new { model = LocalModels.EmbeddingModelId, input = label.EmbeddingTexts })));
        }

        await foreach (var item in BatchInputConverter.ReadAsync(RepoFile("samples/reviews.csv"), options, ct))
        {
            requests.Add(item.Request);
            metadata.Append("{\"custom_id\":\"").Append(item.Request.CustomId).Append("\",\"metadata\":{\"label\":\"").Append(item.Metadata[0].Value).Append("\"}}\n");
        }

        Assert.Equal(303, requests.Count);
        using var generator = LocalModels.CreateEmbeddingGenerator();
        var handler = BatchProviders.EmbeddingGenerator(generator);
        // All at once, as the engine sends them, so the generator coalesces them into model batches.
        var results = await Task.WhenAll(requests.Select(async r =>
        {
            var response = await handler.SendAsync(new BatchCall(r), ct);
            return new BatchResult { CustomId = r.CustomId, Id = r.CustomId, StatusCode = response.StatusCode, ResponseBody = response.Body, Stats = new BatchItemStats() };
        }));

        var metaPath = Path.Combine(Path.GetTempPath(), $"llmbatch-sample-{Guid.NewGuid():N}.metadata.jsonl");
        await File.WriteAllTextAsync(metaPath, metadata.ToString(), ct);
        try
        {
            var report = await BatchResultsMerger.MergeAsync(
                results.ToAsyncEnumerable(),
                new BatchMergeOptions { Kind = BatchMergeKind.Classification, Labels = [.. labels.Select(l => l.Name)], MetadataPath = metaPath, GoldColumn = "label" },
                ct);

            var c = report.Classification!;
            var text = new StringBuilder($"accuracy {c.Accuracy:P1} on {c.WithGold} items\n");
            foreach (var d in c.Distribution)
            {
                text.Append($"  {d.Label}: {d.Count} ({d.Share:P0})\n");
            }

            for (var g = 0; g < c.ConfusionLabels.Count; g++)
            {
                text.Append($"  gold {c.ConfusionLabels[g],-9} -> {string.Join(' ', c.ConfusionMatrix![g].Select(n => n.ToString().PadLeft(4)))}\n");
            }

            TestContext.Current.SendDiagnosticMessage(text.ToString());
            Console.WriteLine(text);
            Assert.Equal(300, c.Classified);
            Assert.True(c.Accuracy >= AccuracyFloor, text.ToString());
        }
        finally
        {
            File.Delete(metaPath);
        }
    }
}
