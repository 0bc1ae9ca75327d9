using System.Diagnostics;
using LlmBatch.LocalModel;

// Embeddings per second of the embedded model as the engine drives it: many concurrent single-input requests,
// coalesced by the generator into model batches. Texts are the sample reviews, cycled.
// Usage: dotnet run --project bench/LlmBatch.LocalModel.Throughput -c Release -- [items=3000] [batch=32] [callers=256]
var items = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3000;
var batch = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 32;
var callers = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 256;

var root = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(root, "samples", "reviews.csv")))
{
    root = Path.GetDirectoryName(root) ?? throw new FileNotFoundException("samples/reviews.csv");
}

var texts = File.ReadAllLines(Path.Combine(root, "samples", "reviews.csv")).Skip(1).Select(l => l[(l.IndexOf(',', StringComparison.Ordinal) + 1)..l.LastIndexOf(',')]).ToArray();
using var generator = LocalModels.CreateEmbeddingGenerator(new LocalEmbeddingOptions { MaxBatchSize = batch });
await generator.GenerateAsync(texts.Take(batch)).ConfigureAwait(false); // load the model outside the timing

var next = -1;
var sw = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
{
    int i;
    while ((i = Interlocked.Increment(ref next)) < items)
    {
        await generator.GenerateAsync([texts[i % texts.Length]]).ConfigureAwait(false);
    }
})).ConfigureAwait(false);
sw.Stop();
Console.WriteLine($"{items} embeddings, batch {batch}, {callers} concurrent callers, {Environment.ProcessorCount} cores: {sw.Elapsed.TotalSeconds:F2} s, {items / sw.Elapsed.TotalSeconds:F0} embeddings/s");
