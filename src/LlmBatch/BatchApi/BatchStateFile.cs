using System.Text.Json;
using System.Text.Json.Serialization;
using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch.BatchApi;

/// <summary>
/// Reads and writes <see cref="BatchJobState"/> beside the output: <c>OUTPUT.batches.json</c>, and the folder
/// <c>OUTPUT.batches/</c> for the chunk files. Every write replaces the whole file atomically (temp file, fsync,
/// rename), so a kill -9 leaves the old state or the new one, never half of either.
/// </summary>
internal static class BatchStateFile
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>The state file of an output.</summary>
    public static string PathFor(string outputPath) => Path.GetFullPath(outputPath) + ".batches.json";

    /// <summary>The folder of chunk files of an output.</summary>
    public static string WorkDirectoryFor(string outputPath) => Path.GetFullPath(outputPath) + ".batches";

    /// <summary>Reads the state, or null when there is none.</summary>
    /// <exception cref="BatchInputException">The file is not a state file this version can read (names the file).</exception>
    public static async Task<BatchJobState?> LoadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        BatchJobState? state;
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            await using (stream.ConfigureAwait(false))
            {
                state = await JsonSerializer.DeserializeAsync<BatchJobState>(stream, Json, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (JsonException ex)
        {
            throw new BatchInputException(new BatchInputError(path, 0, "", $"is not a readable batch state file ({ex.Message}); it records the batches running for this output, so move it away only after `llmbatch batches cancel`"));
        }

        if (state is null || state.Version != BatchJobState.CurrentVersion || string.IsNullOrEmpty(state.JobId))
        {
            throw new BatchInputException(new BatchInputError(path, 0, "", $"is not a batch state file of version {BatchJobState.CurrentVersion}"));
        }

        return state;
    }

    /// <summary>Replaces the state file with <paramref name="state"/>, durably.</summary>
    public static Task SaveAsync(string path, BatchJobState state, CancellationToken cancellationToken) =>
        AtomicRewrite.RunAsync(path, (stream, ct) => JsonSerializer.SerializeAsync(stream, state, Json, ct), cancellationToken);
}
