using System.Buffers;
using System.ComponentModel;
using System.Text;
using System.Text.Json;
using LlmBatch.Cli.Infrastructure;
using LlmBatch.Input;
using LlmBatch.LocalModel;
using LlmBatch.Output;
using LlmBatch.Providers;
using LlmBatch.Results;
using Spectre.Console.Cli;

namespace LlmBatch.Cli.Commands;

/// <summary>
/// <c>llmbatch classify INPUT --labels a,b,c</c>: zero-shot classification through the engine. By default every item
/// and every label is embedded (offline, on the embedded model unless an endpoint and a remote model are given) and
/// each item goes to the nearest label; <c>--method chat</c> asks a chat model instead and validates its answer.
/// The requests, results (resumable) and merged files go under <c>--output</c>.
/// </summary>
internal sealed class ClassifyCommand : AsyncCommand<ClassifyCommand.Settings>
{
    public sealed class Settings : InputSettings
    {
        [CommandOption("--labels <LIST>")]
        [Description("Comma-separated labels, e.g. positive,negative,neutral.")]
        public string? Labels { get; init; }

        [CommandOption("--labels-file <FILE>")]
        [Description("One label per line as 'name: phrase, phrase, ...'. The embedding method averages the vectors of the name and of each phrase; the chat method shows the whole line.")]
        public string? LabelsFile { get; init; }

        [CommandOption("--gold-column <NAME>")]
        [Description("A column holding the true label: prints accuracy and a confusion matrix.")]
        public string? GoldColumn { get; init; }

        [CommandOption("--method <METHOD>")]
        [Description("embedding (default: nearest label by cosine similarity) or chat (a chat model picks the label; needs an endpoint).")]
        public string Method { get; init; } = "embedding";

        [CommandOption("--base-url <URL>")]
        [Description("OpenAI-compatible endpoint (default $OPENAI_BASE_URL). Not needed for the embedded model.")]
        public string? BaseUrl { get; init; }

        [CommandOption("--api-key-env <NAME>")]
        [Description("Environment variable holding the API key (default OPENAI_API_KEY).")]
        public string? ApiKeyEnv { get; init; }

        [CommandOption("--structured")]
        [Description("Chat method: ask for structured output (a JSON schema whose label is an enum of the labels), for servers that support it.")]
        public bool Structured { get; init; }

        [CommandOption("--label-retries <N>")]
        [Description("Chat method: times an item whose answer is not a label is asked again (default 2); then it is recorded as an error.")]
        [TypeConverter(typeof(NumberConverter<int>))]
        public int LabelRetries { get; init; } = 2;

        [CommandOption("-o|--output <DIR>")]
        [Description("Directory for the requests, the results and the merged files (default out/). Rerunning resumes.")]
        public string Output { get; init; } = "out";

        [CommandOption("--parquet")]
        [Description("Also write the items' embeddings as a Parquet file (custom_id, embedding list<float>) beside the .npy.")]
        public bool Parquet { get; init; }

        [CommandOption("--max-concurrency <N>")]
        [Description("Requests in flight at most (default 256).")]
        [TypeConverter(typeof(NumberConverter<int>))]
        public int? MaxConcurrency { get; init; }

        [CommandOption("--pack <N>")]
        [Description("Embeddings sent N inputs to a request (default: as many as the provider takes; 1 sends each alone).")]
        [TypeConverter(typeof(NumberConverter<int>))]
        public int? Pack { get; init; }

        public override Spectre.Console.ValidationResult Validate()
        {
            if ((Labels is null) == (LabelsFile is null))
            {
                return Spectre.Console.ValidationResult.Error("Give the labels with --labels a,b,c or --labels-file FILE (one of the two).");
            }

            if (Method is not ("embedding" or "chat"))
            {
                return Spectre.Console.ValidationResult.Error($"--method must be embedding or chat (was '{Method}').");
            }

            var problems = new List<string>();
            CheckItemFlags(problems);
            CliValues.CheckRange(problems, "--label-retries", LabelRetries, 0, 10);
            CliValues.CheckRange(problems, "--max-concurrency", MaxConcurrency, 1, 100_000);
            return problems.Count == 0 ? Spectre.Console.ValidationResult.Success() : Spectre.Console.ValidationResult.Error(string.Join("; ", problems));
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var labels = (await ResultsMerge.ReadLabelsAsync(settings.Labels, settings.LabelsFile, cancellationToken).ConfigureAwait(false))!;
        var chat = settings.Method == "chat";
        var model = settings.Model ?? (chat ? null : LocalModels.EmbeddingModelId);
        if (model is null)
        {
            throw new BatchOptionsException(["--method chat needs --model (the chat model to ask)."]);
        }

        using var stop = new CancellationTokenSource();
        using var signals = StopSignals.Register(stop);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, cancellationToken);
        var ct = linked.Token;

        // The provider first: a chat classification with nowhere to send it must fail before anything is written,
        // and never falls back to a made-up answer.
        if (chat && ProviderEnvironment.Resolve(settings.BaseUrl, settings.ApiKeyEnv) is { IsResolved: false } missing)
        {
            throw new BatchOptionsException([
                $"--method chat needs a chat endpoint and none is configured ({missing.Problem}). " +
                "To try it without a provider, start `llmbatch simulate` and pass its URL with --base-url. " +
                "The default --method embedding runs offline on the embedded model.",
            ]);
        }

        // The same routing as `run`: local/… embedding models run in-process, anything else goes to the endpoint.
        using var setup = ProviderSetup.Create(settings.BaseUrl, settings.ApiKeyEnv, new Dictionary<string, long> { [chat ? EndpointPaths.ChatCompletions : EndpointPaths.Embeddings] = 1 });
        var provider = setup.Handler;
        var description = !chat && LocalModels.IsLocalModel(model) ? $"embedded model {LocalModels.EmbeddingModelId}, offline" : setup.Description;
        Console.Error.WriteLine($"llmbatch: classifying with {description}");

        Directory.CreateDirectory(settings.Output);
        var name = Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(settings.Input));
        var stem = Path.Combine(settings.Output, (name.AsSpan().IndexOfAny("*?[") >= 0 || name.Length == 0 ? "documents" : name) + (chat ? ".chat" : ".embedding"));
        var requestsPath = stem + ".requests.jsonl";
        var metadataPath = BatchInputConverter.MetadataPathFor(requestsPath);
        // The shared prepare flags apply as given; what classify adds (the instructions, temperature 0, a short
        // answer) comes first and yields to the user's own --system, --body and --max-tokens.
        var conversion = settings.ToConversionOptions(chat ? EndpointPaths.ChatCompletions : EndpointPaths.Embeddings, chat ? "Text to classify:\n{text}" : "{text}");
        conversion.Model = model;
        if (chat)
        {
            conversion.SystemPrompt = settings.System is null ? ChatInstructions(labels) : settings.System + "\n\n" + ChatInstructions(labels);
            conversion.MaxTokens = settings.MaxTokens ?? (settings.Structured ? 64 : 16);
            conversion.ExtraBody = MergeJson(ChatExtraBody(labels, settings.Structured), settings.Body);
        }
        if (settings.IsDocuments)
        {
            await DocumentClassification.WriteRequestsAsync(settings, requestsPath, stem + ".results.jsonl", LabelLines(labels, conversion, chat), conversion, ct).ConfigureAwait(false);
        }
        else
        {
            await WriteRequestsAsync(settings.Input, requestsPath, metadataPath, labels, conversion, chat, ct).ConfigureAwait(false);
        }


        var options = new BatchOptions();
        if (settings.MaxConcurrency is { } mc)
        {
            options.MaxConcurrency = mc;
        }

        options.PackSize = settings.Pack;

        options.Validate();
        var engine = new BatchEngineBuilder(provider).WithOptions(options).Build();
        var resultsPaths = new List<string> { stem + ".results.jsonl" };
        var job = await RunJobAsync(engine, requestsPath, resultsPaths[0], ct).ConfigureAwait(false);
        Console.Error.Write(SummaryPrinter.Format(job, resultsPaths[0]));
        if (JobOutcome.ExitCodeIfUnfinished(job) is { } unfinished)
        {
            return unfinished;
        }

        var labelNames = labels.Select(l => l.Name).ToList();
        for (var round = 1; chat && round <= settings.LabelRetries; round++)
        {
            // Answers outside the label set are asked again in a file of their own, so each results file still has
            // exactly one line per custom_id; the merge takes each item's latest answer.
            var retryRequests = $"{stem}.retry{round}.requests.jsonl";
            var invalid = await WriteInvalidLabelRetriesAsync(requestsPath, resultsPaths[^1], retryRequests, labelNames, ct).ConfigureAwait(false);
            if (invalid == 0)
            {
                break;
            }

            Console.Error.WriteLine($"llmbatch: {invalid} answer(s) named no label; asking again (round {round} of {settings.LabelRetries})");
            resultsPaths.Add($"{stem}.retry{round}.results.jsonl");
            job = await RunJobAsync(engine, retryRequests, resultsPaths[^1], ct).ConfigureAwait(false);
            if (JobOutcome.ExitCodeIfUnfinished(job) is { } stoppedRetry)
            {
                return stoppedRetry;
            }
        }

        Console.WriteLine();
        var report = await ResultsMerge.MergeAndPrintAsync(
            settings.IsDocuments
                ? DocumentClassification.PerDocumentAsync(LatestResultsAsync(resultsPaths, ct), Documents.DocumentManifest.PathFor(stem + ".results.jsonl"), labelNames, chat, ct)
                : LatestResultsAsync(resultsPaths, ct),
            new BatchMergeOptions
            {
                Kind = BatchMergeKind.Classification,
                Labels = labelNames,
                MetadataPath = File.Exists(metadataPath) ? metadataPath : null,
                GoldColumn = File.Exists(metadataPath) ? settings.GoldColumn : null,
                OutputPrefix = stem,
            },
            settings.Parquet,
            Console.Out,
            ct).ConfigureAwait(false);
        if (settings.GoldColumn is not null && report.Classification?.WithGold == 0)
        {
            Console.Error.WriteLine($"llmbatch: no item had a value in the gold column '{settings.GoldColumn}'; no accuracy to report");
        }

        return report.Failed > 0 ? CliApp.ExitItemsFailed : CliApp.ExitSuccess;
    }

    // Once requests are going out, a write failure (a full disk) is an interruption the same command resumes from.
    private static async Task<BatchJobResult> RunJobAsync(IBatchEngine engine, string requests, string results, CancellationToken cancellationToken)
    {
        var started = false;
        try
        {
            return await BatchJob.RunAsync(engine, new BatchJobOptions { InputPath = requests, OutputPath = results, Resumed = _ => started = true }, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex) when (started)
        {
            throw new RunInterruptedException($"{ex.Message.TrimEnd('.')}. Every result written before this is kept in {results}; fix the cause (free disk space?) and run the same command to resume.", ex);
        }
    }

    private static string ChatInstructions(IReadOnlyList<ClassificationLabel> labels)
    {
        var sb = new StringBuilder("Classify the text into exactly one of these labels:\n");
        foreach (var l in labels)
        {
            sb.Append("- ").Append(l.Name);
            if (l.Description is not null)
            {
                sb.Append(": ").Append(l.Description);
            }

            sb.Append('\n');
        }

        return sb.Append("Answer with the label only, exactly as written above, and nothing else.").ToString();
    }

    private static string ChatExtraBody(IReadOnlyList<ClassificationLabel> labels, bool structured)
    {
        if (!structured)
        {
            return "{\"temperature\":0}";
        }

        var schema = new
        {
            temperature = 0,
            response_format = new
            {
                type = "json_schema",
                json_schema = new
                {
                    name = "classification",
                    strict = true,
                    schema = new
                    {
                        type = "object",
                        properties = new { label = new { type = "string", @enum = labels.Select(l => l.Name).ToArray() } },
                        required = new[] { "label" },
                        additionalProperties = false,
                    },
                },
            },
        };
        return JsonSerializer.Serialize(schema);
    }

    /// <summary>The properties of <paramref name="extra"/> over those of <paramref name="json"/>, as one object.</summary>
    private static string MergeJson(string json, string? extra)
    {
        if (extra is null)
        {
            return json;
        }

        System.Text.Json.Nodes.JsonNode? given;
        try
        {
            given = System.Text.Json.Nodes.JsonNode.Parse(extra);
        }
        catch (JsonException ex)
        {
            throw new BatchOptionsException([$"--body: not valid JSON ({ex.Message})."]);
        }

        if (given is not System.Text.Json.Nodes.JsonObject properties)
        {
            throw new BatchOptionsException(["--body: must be a JSON object, e.g. '{\"temperature\":0}'."]);
        }

        var merged = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        foreach (var (name, value) in properties)
        {
            merged[name] = value?.DeepClone();
        }

        return merged.ToJsonString();
    }

    /// <summary>For the embedding method, one request line per label (<c>label:NAME</c>) embedding its phrasings; none for chat.</summary>
    internal static IEnumerable<string> LabelLines(IReadOnlyList<ClassificationLabel> labels, BatchInputConversionOptions conversion, bool chat)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        foreach (var label in chat ? [] : labels)
        {
            var body = BatchInputConverter.BuildEmbeddingsBody(conversion, label.EmbeddingTexts);
            buffer.ResetWrittenCount();
            BatchInputConverter.WriteRequestLine(buffer, BatchRequest.Create(BatchResultsMerger.LabelIdPrefix + label.Name, conversion.Url, body));
            yield return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
    }

    /// <summary>The items, preceded for the embedding method by one request per label (<c>label:NAME</c>), plus the metadata file.</summary>
    private static async Task WriteRequestsAsync(string input, string requestsPath, string metadataPath, IReadOnlyList<ClassificationLabel> labels, BatchInputConversionOptions conversion, bool chat, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        var requests = new MemoryStream();
        var metadata = new MemoryStream();
        foreach (var line in LabelLines(labels, conversion, chat))
        {
            requests.Write(Encoding.UTF8.GetBytes(line));
        }

        await foreach (var item in BatchInputConverter.ReadAsync(input, conversion, ct).ConfigureAwait(false))
        {
            if (item.Request.CustomId.StartsWith(BatchResultsMerger.LabelIdPrefix, StringComparison.Ordinal))
            {
                throw new BatchInputException(new BatchInputError(input, item.Request.LineNumber, conversion.IdColumn ?? "id", $"ids starting with '{BatchResultsMerger.LabelIdPrefix}' are reserved for the labels"));
            }

            buffer.ResetWrittenCount();
            BatchInputConverter.WriteRequestLine(buffer, item.Request);
            requests.Write(buffer.WrittenSpan);
            buffer.ResetWrittenCount();
            BatchMetadataFile.WriteLine(buffer, item.Request.CustomId, item.Metadata);
            metadata.Write(buffer.WrittenSpan);
        }

        // Rewritten only when it changed, so that a rerun resumes against the same requests.
        await WriteIfChangedAsync(requestsPath, requests.ToArray(), ct).ConfigureAwait(false);
        await WriteIfChangedAsync(metadataPath, metadata.ToArray(), ct).ConfigureAwait(false);
    }

    private static async Task WriteIfChangedAsync(string path, byte[] content, CancellationToken ct)
    {
        if (File.Exists(path) && (await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false)).AsSpan().SequenceEqual(content))
        {
            return;
        }

        await AtomicRewrite.CreateAsync(path, async (stream, token) => await stream.WriteAsync(content, token).ConfigureAwait(false), ct).ConfigureAwait(false);
    }

    private static async Task<int> WriteInvalidLabelRetriesAsync(string requestsPath, string resultsPath, string retryRequestsPath, IReadOnlyList<string> labels, CancellationToken ct)
    {
        var invalid = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var r in BatchOutputFile.ReadAsync(resultsPath, ct).ConfigureAwait(false))
        {
            if (r.IsSuccess && ResultContent.TryReadText(r.ResponseBody, out var answer, out _) && ResultContent.MatchLabel(answer, labels) is null)
            {
                invalid.Add(r.CustomId);
            }
        }

        var sb = new StringBuilder();
        foreach (var line in await File.ReadAllLinesAsync(requestsPath, ct).ConfigureAwait(false))
        {
            using var doc = JsonDocument.Parse(line);
            if (invalid.Contains(doc.RootElement.GetProperty("custom_id").GetString()!))
            {
                sb.Append(line).Append('\n');
            }
        }

        await WriteIfChangedAsync(retryRequestsPath, Encoding.UTF8.GetBytes(sb.ToString()), ct).ConfigureAwait(false);
        return invalid.Count;
    }

    /// <summary>Each custom_id's result from the latest file that has one.</summary>
    private static async IAsyncEnumerable<BatchResult> LatestResultsAsync(List<string> paths, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        // Only the retry rounds' answers are held (a few items that named no label); the first results file, which
        // has every item, streams through, so a classification of millions of items does not hold them all.
        var retried = new Dictionary<string, BatchResult>(StringComparer.Ordinal);
        var retriedOrder = new List<string>();
        foreach (var path in paths.Skip(1))
        {
            await foreach (var r in BatchOutputFile.ReadAsync(path, ct).ConfigureAwait(false))
            {
                if (retried.TryAdd(r.CustomId, r))
                {
                    retriedOrder.Add(r.CustomId);
                }
                else
                {
                    retried[r.CustomId] = r;
                }
            }
        }

        // The first file has one line per item; a retried item not in it (it should not happen) still comes, last.
        var pending = new HashSet<string>(retriedOrder, StringComparer.Ordinal);
        await foreach (var r in BatchOutputFile.ReadAsync(paths[0], ct).ConfigureAwait(false))
        {
            pending.Remove(r.CustomId);
            yield return retried.GetValueOrDefault(r.CustomId, r);
        }

        foreach (var id in retriedOrder)
        {
            if (pending.Contains(id))
            {
                yield return retried[id];
            }
        }
    }
}
