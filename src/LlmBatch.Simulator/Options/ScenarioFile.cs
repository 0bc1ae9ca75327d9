using System.Text.Json;

namespace LlmBatch.Simulator;

/// <summary>
/// Applies a scenario JSON object to <see cref="SimulatorOptions"/>. Names are the options' property names in camelCase;
/// kebab-case spellings (<c>requests-per-minute</c>, <c>p-500</c>) are accepted too, since they match the CLI flags.
/// Read once at start-up, so a DOM is fine here.
/// </summary>
internal static class ScenarioFile
{
    public static void Apply(byte[] json, string source, SimulatorOptions options)
    {
        var problems = new List<string>();
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new BatchOptionsException([$"{source}: not valid JSON (line {ex.LineNumber + 1}): {ex.Message}"]);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new BatchOptionsException([$"{source}: the scenario must be a JSON object."]);
            }

            foreach (var property in doc.RootElement.EnumerateObject())
            {
                var error = ApplyOne(NormalizeName(property.Name), property.Value, options);
                if (error is not null)
                {
                    problems.Add($"{source}: \"{property.Name}\" {error}");
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new BatchOptionsException(problems);
        }
    }

    private static string NormalizeName(string name) => name.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();

    private static string? ApplyOne(string name, JsonElement value, SimulatorOptions o)
    {
        switch (name)
        {
            case "host": return String(value, v => o.Host = v);
            case "port": return Int(value, v => o.Port = v);
            case "apikey": return String(value, v => o.ApiKey = v);
            case "seed": return Long(value, v => o.Seed = v);
            case "latency": return Duration(value, v => o.Latency = v);
            case "latencyjitter": return Double(value, v => o.LatencyJitter = v);
            case "pertoken": return Duration(value, v => o.PerToken = v);
            case "completiontokens": return Int(value, v => o.CompletionTokens = v);
            case "completiondistribution": return Enum<SimulatorLengthDistribution>(value, v => o.CompletionDistribution = v);
            case "defaultmaxtokens": return Int(value, v => o.DefaultMaxTokens = v);
            case "embeddingdimensions": return Int(value, v => o.EmbeddingDimensions = v);
            case "models": return Models(value, o);
            case "requestsperminute": return Int(value, v => o.RequestsPerMinute = v);
            case "tokensperminute": return Long(value, v => o.TokensPerMinute = v);
            case "burstseconds": return Double(value, v => o.BurstSeconds = v);
            case "headerscale": return Enum<SimulatorHeaderScale>(value, v => o.HeaderScale = v);
            case "windowkind": return Enum<SimulatorWindowKind>(value, v => o.WindowKind = v);
            case "neighbourshare" or "neighborshare": return Double(value, v => o.NeighbourShare = v);
            case "saturation": return Int(value, v => o.Saturation = v);
            case "saturationgrowth": return Double(value, v => o.SaturationGrowth = v);
            case "azure": return Bool(value, v => o.Azure = v);
            case "maxinflight": return Int(value, v => o.MaxInFlight = v);
            case "overflow": return Enum<SimulatorOverflow>(value, v => o.Overflow = v);
            case "p500": return Double(value, v => o.P500 = v);
            case "p503": return Double(value, v => o.P503 = v);
            case "p529": return Double(value, v => o.P529 = v);
            case "ptruncate": return Double(value, v => o.PTruncate = v);
            case "preset": return Double(value, v => o.PReset = v);
            case "phang": return Double(value, v => o.PHang = v);
            case "pslow": return Double(value, v => o.PSlow = v);
            case "hangduration": return Duration(value, v => o.HangDuration = v);
            case "slowfactor": return Double(value, v => o.SlowFactor = v);
            case "batchduration": return Duration(value, v => o.BatchDuration = v);
            case "batchapilatency": return Duration(value, v => o.BatchApiLatency = v);
            case "batchenqueuedtokens": return Long(value, v => o.BatchEnqueuedTokens = v);
            case "pbatchfail": return Double(value, v => o.PBatchFail = v);
            case "pbatchexpire": return Double(value, v => o.PBatchExpire = v);
            case "batchexpireunrun": return Double(value, v => o.BatchExpireUnrun = v);
            case "pbatchitemerror": return Double(value, v => o.PBatchItemError = v);
            case "logtoconsole": return Bool(value, v => o.LogToConsole = v);
            default: return "is not a simulator setting (see docs/simulator.md for the list).";
        }
    }

    private static string? String(JsonElement value, Action<string> set)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return "must be a string.";
        }

        set(value.GetString()!);
        return null;
    }

    private static string? Int(JsonElement value, Action<int> set)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var v))
        {
            return "must be a whole number.";
        }

        set(v);
        return null;
    }

    private static string? Long(JsonElement value, Action<long> set)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var v))
        {
            return "must be a whole number.";
        }

        set(v);
        return null;
    }

    private static string? Double(JsonElement value, Action<double> set)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            return "must be a number.";
        }

        set(value.GetDouble());
        return null;
    }

    private static string? Bool(JsonElement value, Action<bool> set)
    {
        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            return "must be true or false.";
        }

        set(value.GetBoolean());
        return null;
    }

    private static string? Duration(JsonElement value, Action<TimeSpan> set)
    {
        // Numbers were milliseconds here once, and every duration reader now takes a bare number as seconds: any
        // number but 0 must carry its unit, as a string, rather than silently mean a thousand times longer.
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var n) && n == 0)
        {
            set(TimeSpan.Zero);
            return null;
        }

        if (value.ValueKind == JsonValueKind.String && DurationText.TryParse(value.GetString(), out var d, unitRequired: true))
        {
            set(d);
            return null;
        }

        return "must be a duration with its unit, such as \"400ms\", \"1.5s\" or \"2m\".";
    }

    private static string? Enum<T>(JsonElement value, Action<T> set)
        where T : struct, System.Enum
    {
        if (value.ValueKind == JsonValueKind.String
            && System.Enum.TryParse<T>(value.GetString(), ignoreCase: true, out var v)
            && System.Enum.IsDefined(v)
            && !char.IsAsciiDigit(value.GetString()![0]))
        {
            set(v);
            return null;
        }

        return $"must be one of: {string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.";
    }

    private static string? Models(JsonElement value, SimulatorOptions o)
    {
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            return "must be an array of model ids.";
        }

        o.Models.Clear();
        foreach (var e in value.EnumerateArray())
        {
            o.Models.Add(e.GetString()!);
        }

        return null;
    }
}
