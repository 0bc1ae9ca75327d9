using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Results;

namespace LlmBatch.Documents;

/// <summary>
/// Map-reduce over documents: the map requests (one per chunk) run as one resumable job; then each document's chunk
/// answers, in order, are combined by reduce requests into one answer per document, custom_id = its path. When a
/// document's answers do not fit in one reduce request they are combined in groups, and the groups' answers again,
/// level by level (a tree), until one remains. A document of one chunk skips the reduce.
/// </summary>
/// <remarks>
/// Every level is an ordinary job (same limits, retries, resume, exactly-once), and its requests are derived only
/// from the finished level before it, read in input order: the same outputs give the same requests byte for byte, so
/// after a <c>kill -9</c> the rerun rebuilds the level it was in and resumes it. If an earlier level changed
/// (<c>--retry-failed</c> recovered a chunk), the requests that now read differently are found by
/// <see cref="RequestFileSync"/> and their stale answers dropped, so they are asked again. The final file is written
/// in document order, atomically, once every level is done. A chunk that failed for good is named in its document's
/// final line (<c>llmbatch.document.missing</c>), and the reduce input says which part is missing.
/// </remarks>
public static class DocumentMapReduce
{
    private const int MaxLevels = 32;

    /// <summary>Where the map phase's results go: <c>out/summaries.jsonl</c> → <c>out/summaries.map.jsonl</c>.</summary>
    /// <param name="outputPath">The final output.</param>
    /// <returns>The map results file.</returns>
    public static string MapOutputPath(string outputPath) => Stem(outputPath) + ".map.jsonl";

    /// <summary>A reduce level's file: <c>kind</c> is <c>.requests.jsonl</c>, <c>.jsonl</c> (results) or <c>.plan.jsonl</c>.</summary>
    /// <param name="outputPath">The final output.</param>
    /// <param name="level">The 1-based level.</param>
    /// <param name="kind">The file's suffix.</param>
    /// <returns>The path.</returns>
    public static string LevelPath(string outputPath, int level, string kind) => string.Create(CultureInfo.InvariantCulture, $"{Stem(outputPath)}.reduce-{level}{kind}");

    /// <summary>Runs the map, every reduce level and the final assembly, each phase through <paramref name="runPhase"/>.</summary>
    /// <param name="options">The files, the reduce template and budget.</param>
    /// <param name="runPhase">
    /// Runs one phase's job and returns its result, for example <c>(job, name, ct) =&gt; BatchJob.RunAsync(engine, job, ct)</c>;
    /// a caller adds its progress display here. <c>name</c> is <c>map</c> or <c>reduce N</c>.
    /// </param>
    /// <param name="cancellationToken">Stops between phases; a phase's own stop goes through the job.</param>
    /// <returns>The phases and the final counts.</returns>
    /// <exception cref="BatchOptionsException">The options are invalid.</exception>
    public static async Task<DocumentMapReduceResult> RunAsync(
        DocumentMapReduceOptions options,
        Func<BatchJobOptions, string, CancellationToken, Task<BatchJobResult>> runPhase,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runPhase);
        options.Validate();
        var phases = new List<BatchJobResult>();
        var outputs = new List<string>();
        DocumentMapReduceResult Stopped() => new() { Phases = phases, PhaseOutputs = outputs, Interrupted = true };

        var mapOutput = MapOutputPath(options.OutputPath);
        outputs.Add(mapOutput);
        phases.Add(await runPhase(Job(options, options.MapRequestsPath, mapOutput), "map", cancellationToken).ConfigureAwait(false));
        if (phases[^1].Interrupted)
        {
            return Stopped();
        }

        var level = 1;
        for (; ; level++)
        {
            if (level > MaxLevels)
            {
                throw new InvalidOperationException($"The reduce did not converge in {MaxLevels} levels.");
            }

            cancellationToken.ThrowIfCancellationRequested();
            var requests = LevelPath(options.OutputPath, level, ".requests.jsonl");
            var output = LevelPath(options.OutputPath, level, ".jsonl");
            var plan = LevelPath(options.OutputPath, level, ".plan.jsonl");
            var count = await new LevelBuilder(options, level).BuildAsync(requests + ".tmp", plan + ".tmp", cancellationToken).ConfigureAwait(false);
            await RequestFileSync.ReplaceAsync(requests + ".tmp", requests, output, cancellationToken).ConfigureAwait(false);
            File.Move(plan + ".tmp", plan, overwrite: true);
            if (count == 0)
            {
                break;
            }

            outputs.Add(output);
            phases.Add(await runPhase(Job(options, requests, output), string.Create(CultureInfo.InvariantCulture, $"reduce {level}"), cancellationToken).ConfigureAwait(false));
            if (phases[^1].Interrupted)
            {
                return Stopped();
            }
        }

        var (documents, failed, incomplete) = await AssembleAsync(options, level, cancellationToken).ConfigureAwait(false);
        return new DocumentMapReduceResult
        {
            Phases = phases,
            PhaseOutputs = outputs,
            Documents = documents,
            FailedDocuments = failed,
            IncompleteDocuments = incomplete,
        };
    }

    private static string Stem(string outputPath)
    {
        var ext = Path.GetExtension(outputPath);
        return ext.Length > 0 ? outputPath[..^ext.Length] : outputPath;
    }

    private static BatchJobOptions Job(DocumentMapReduceOptions options, string input, string output) => new()
    {
        InputPath = input,
        OutputPath = output,
        RetryFailed = options.Job.RetryFailed,
        ShutdownGracePeriod = options.Job.ShutdownGracePeriod,
        Validation = options.Job.Validation,
        Resumed = options.Job.Resumed,
        TimeProvider = options.Job.TimeProvider,
    };

    /// <summary>Writes the final file: one line per document in manifest order, from the map or the last reduce level.</summary>
    private static async Task<(long Documents, long Failed, long Incomplete)> AssembleAsync(DocumentMapReduceOptions options, int levels, CancellationToken cancellationToken)
    {
        var finals = new Dictionary<string, PlanLine>(StringComparer.Ordinal);
        for (var level = 1; level <= levels; level++)
        {
            await foreach (var line in PlanLine.ReadAsync(LevelPath(options.OutputPath, level, ".plan.jsonl"), cancellationToken).ConfigureAwait(false))
            {
                if (line.Final || line.Failed)
                {
                    finals[line.Path] = line with { Level = level };
                }
            }
        }

        var indexes = new Dictionary<int, OutputIndex>();
        long documents = 0, failed = 0, incomplete = 0;
        try
        {
            indexes[0] = await OutputIndex.OpenAsync(MapOutputPath(options.OutputPath), cancellationToken).ConfigureAwait(false);
            await AtomicRewrite.RunAsync(options.OutputPath, async (stream, ct) =>
            {
                var buffer = new ArrayBufferWriter<byte>(1 << 14);
                await foreach (var entry in DocumentManifest.ReadAsync(options.ManifestPath, includeText: false, ct).ConfigureAwait(false))
                {
                    if (!entry.IsDocumentEnd)
                    {
                        continue;
                    }

                    documents++;
                    byte[]? line = null;
                    PlanLine? plan = null;
                    string? problem = null;
                    if (entry.Chunks == 1)
                    {
                        line = indexes[0].FindLine(DocumentPreparer.ChunkId(entry.Path, 0));
                    }
                    else if (finals.TryGetValue(entry.Path, out var final))
                    {
                        plan = final;
                        if (final.Failed)
                        {
                            problem = "every chunk failed: " + string.Join("; ", final.Missing);
                        }
                        else
                        {
                            if (!indexes.TryGetValue(final.Level, out var index))
                            {
                                indexes[final.Level] = index = await OutputIndex.OpenAsync(LevelPath(options.OutputPath, final.Level, ".jsonl"), ct).ConfigureAwait(false);
                            }

                            line = index.FindLine(entry.Path);
                        }
                    }

                    buffer.ResetWrittenCount();
                    var ok = FinalLine(buffer, entry, documents, line, plan, problem ?? "no result was found for the document");
                    failed += ok ? 0 : 1;
                    incomplete += plan is { Missing.Count: > 0, Failed: false } ? 1 : 0;
                    await stream.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var index in indexes.Values)
            {
                index.Dispose();
            }
        }

        return (documents, failed, incomplete);
    }

    // The document's answer with custom_id = its path and what it is made of under llmbatch.document; or an error line.
    private static bool FinalLine(IBufferWriter<byte> output, ManifestEntry document, long ordinal, byte[]? line, PlanLine? plan, string problem)
    {
        var facts = new JsonObject
        {
            ["chunks"] = document.Chunks,
            ["reduce_levels"] = plan?.Level ?? 0,
            ["missing"] = new JsonArray([.. (plan?.Missing ?? []).Select(m => (JsonNode?)JsonValue.Create(m))]),
        };
        JsonObject root;
        bool ok;
        if (line is not null && JsonNode.Parse(line) is JsonObject parsed)
        {
            root = parsed;
            ok = OutputLineScanner.TryScan(line, out _, out var success) && success;
        }
        else
        {
            root = new JsonObject
            {
                ["response"] = null,
                ["error"] = new JsonObject { ["code"] = "document_failed", ["message"] = problem },
            };
            ok = false;
        }

        var llmbatch = root["llmbatch"] as JsonObject ?? [];
        llmbatch["line"] = ordinal;
        llmbatch["document"] = facts;
        root["llmbatch"] = llmbatch;
        using (var w = new Utf8JsonWriter(output, JsonFiles.WriterOptions))
        {
            // id and custom_id first, as in every output line.
            w.WriteStartObject();
            w.WriteString("id"u8, CustomIdHash.ToResultId(document.Path));
            w.WriteString("custom_id"u8, document.Path);
            foreach (var (name, value) in root)
            {
                if (name is not ("id" or "custom_id"))
                {
                    w.WritePropertyName(name);
                    if (value is null)
                    {
                        w.WriteNullValue();
                    }
                    else
                    {
                        value.WriteTo(w);
                    }
                }
            }

            w.WriteEndObject();
        }

        output.Write("\n"u8);
        return ok;
    }

    /// <summary>Builds one reduce level's requests and plan from the level before (the map for level 1).</summary>
    private sealed class LevelBuilder(DocumentMapReduceOptions options, int level)
    {
        private readonly PromptTemplate _template = PromptTemplate.Parse(options.Reduce.Template);
        private readonly BatchEndpointKind _endpoint = BatchLineParser.TryGetEndpoint(options.Reduce.Url, out var e) ? e : BatchEndpointKind.ChatCompletions;
        private readonly ArrayBufferWriter<byte> _buffer = new(1 << 14);

        public async Task<long> BuildAsync(string requestsPath, string planPath, CancellationToken cancellationToken)
        {
            long requests = 0;
            var source = level == 1 ? MapOutputPath(options.OutputPath) : LevelPath(options.OutputPath, level - 1, ".jsonl");
            using var index = await OutputIndex.OpenAsync(source, cancellationToken).ConfigureAwait(false);
            var requestStream = new FileStream(requestsPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            var planStream = new FileStream(planPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            await using (requestStream.ConfigureAwait(false))
            await using (planStream.ConfigureAwait(false))
            {
                await foreach (var (path, chunks, parts) in DocumentsAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (parts.Count < 2)
                    {
                        continue;
                    }

                    requests += await ReduceDocumentAsync(path, chunks, parts, index, requestStream, planStream, cancellationToken).ConfigureAwait(false);
                }
            }

            return requests;
        }

        // Each document with what this level combines: the map's chunks at level 1, else the last level's groups.
        private async IAsyncEnumerable<(string Path, int Chunks, List<PlanLine> Parts)> DocumentsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var parts = new List<PlanLine>();
            if (level == 1)
            {
                await foreach (var entry in DocumentManifest.ReadAsync(options.ManifestPath, includeText: false, cancellationToken).ConfigureAwait(false))
                {
                    if (entry.IsChunk)
                    {
                        parts.Add(new PlanLine { CustomId = entry.CustomId, Path = entry.Path, First = entry.Chunk, Last = entry.Chunk });
                    }
                    else if (entry.IsDocumentEnd)
                    {
                        yield return (entry.Path, entry.Chunks, parts);
                        parts = [];
                    }
                }

                yield break;
            }

            string? current = null;
            var total = 0;
            await foreach (var line in PlanLine.ReadAsync(LevelPath(options.OutputPath, level - 1, ".plan.jsonl"), cancellationToken).ConfigureAwait(false))
            {
                if (line.Path != current && current is not null)
                {
                    yield return (current, total, parts);
                    parts = [];
                }

                current = line.Path;
                total = line.Chunks;
                if (!line.Final && !line.Failed)
                {
                    parts.Add(line);
                }
            }

            if (current is not null)
            {
                yield return (current, total, parts);
            }
        }

        private async Task<long> ReduceDocumentAsync(string path, int chunks, List<PlanLine> parts, OutputIndex index, Stream requests, Stream plan, CancellationToken cancellationToken)
        {
            // Sections: each answer headed by the chunks it covers; a missing part's note joins the next section.
            var sections = new List<Section>();
            var pendingNote = new StringBuilder();
            var pendingMissing = new List<string>();
            var first = -1;
            foreach (var part in parts)
            {
                var missing = new List<string>(part.Missing);
                var result = index.Find(part.CustomId!);
                var span = Span(part.First, part.Last, chunks);
                if (result is { IsSuccess: true } && ResultContent.TryReadText(result.ResponseBody, out var answer, out _))
                {
                    var text = $"{pendingNote}[{span}]\n{answer.Trim()}";
                    missing.InsertRange(0, pendingMissing);
                    sections.Add(new Section(text, first >= 0 ? first : part.First, part.Last, missing));
                    pendingNote.Clear();
                    pendingMissing.Clear();
                    first = -1;
                    continue;
                }

                var why = result is null ? "no result" : result.Error is { } err ? $"{err.Code}: {err.Message}" : $"http_{result.StatusCode}: the response held no text";
                missing.Add(level == 1 ? $"{part.CustomId}: {why}" : $"{span} (reduce request {part.CustomId}): {why}");
                pendingNote.Append(CultureInfo.InvariantCulture, $"[{span}: missing, its request failed ({FirstWord(why)})]\n\n");
                pendingMissing.AddRange(missing);
                first = first >= 0 ? first : part.First;
            }

            if (sections.Count == 0)
            {
                WritePlan(plan, new PlanLine { Path = path, First = parts[0].First, Last = parts[^1].Last, Chunks = chunks, Failed = true, Missing = pendingMissing });
                return 0;
            }

            if (pendingNote.Length > 0)
            {
                var last = sections[^1];
                sections[^1] = last with { Text = last.Text + "\n\n" + pendingNote.ToString().TrimEnd(), Last = parts[^1].Last, Missing = [.. last.Missing, .. pendingMissing] };
            }

            var groups = Group(sections);
            for (var g = 0; g < groups.Count; g++)
            {
                var members = groups[g];
                var final = groups.Count == 1;
                var id = final ? path : string.Create(CultureInfo.InvariantCulture, $"{path}#r{level}.{g:D4}");
                var combined = string.Join("\n\n", members.Select(s => s.Text));
                var prompt = _template.Render(name => name switch
                {
                    "text" => combined,
                    "path" => path,
                    "chunks" => chunks.ToString(CultureInfo.InvariantCulture),
                    _ => null,
                }, out _);
                _buffer.ResetWrittenCount();
                var body = BatchInputConverter.BuildBody(options.Reduce, _endpoint, prompt);
                BatchInputConverter.WriteRequestLine(_buffer, new BatchRequest(id, _endpoint, options.Reduce.Url, body, options.Reduce.Model, options.Reduce.MaxTokens, 0));
                await requests.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                WritePlan(plan, new PlanLine
                {
                    CustomId = id,
                    Path = path,
                    First = members[0].First,
                    Last = members[^1].Last,
                    Chunks = chunks,
                    Final = final,
                    Missing = [.. members.SelectMany(s => s.Missing)],
                });
            }

            return groups.Count;
        }

        // Consecutive sections packed while their tokens fit; if nothing packed, pairs, so every level shrinks.
        private List<List<Section>> Group(List<Section> sections)
        {
            var groups = new List<List<Section>>();
            var current = new List<Section>();
            long tokens = 0;
            foreach (var s in sections)
            {
                var t = options.Tokenizer!.CountTokens(s.Text) + 2;
                if (current.Count > 0 && tokens + t > options.ReduceTokens)
                {
                    groups.Add(current);
                    current = [];
                    tokens = 0;
                }

                current.Add(s);
                tokens += t;
            }

            groups.Add(current);
            if (groups.Count == sections.Count && sections.Count > 1)
            {
                groups = [.. sections.Chunk(2).Select(pair => pair.ToList())];
            }

            return groups;
        }

        private void WritePlan(Stream plan, PlanLine line)
        {
            _buffer.ResetWrittenCount();
            line.Write(_buffer);
            plan.Write(_buffer.WrittenSpan);
        }

        private static string Span(int first, int last, int chunks) => first == last
            ? string.Create(CultureInfo.InvariantCulture, $"chunk {first + 1} of {chunks}")
            : string.Create(CultureInfo.InvariantCulture, $"chunks {first + 1}-{last + 1} of {chunks}");

        private static string FirstWord(string why) => why.Split(':')[0];

        private sealed record Section(string Text, int First, int Last, List<string> Missing);
    }
}
