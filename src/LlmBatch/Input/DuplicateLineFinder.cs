using LlmBatch.Output;

namespace LlmBatch.Input;

/// <summary>
/// The second pass of a validation that found duplicate custom_ids. Only keys are kept per line in the first pass,
/// so the first line of each duplicated id is found by reading again, stopping at the last duplicate; the pass also
/// tells a true duplicate from a (vanishingly rare) collision of keys, which is an error too, since resume knows items
/// by their key alone.
/// </summary>
internal static class DuplicateLineFinder
{
    /// <summary>Rewrites the error of each duplicate in <paramref name="errors"/> to name the line of the id's first use.</summary>
    /// <param name="reader">The input again, from its start; disposed at the end.</param>
    /// <param name="duplicates">The duplicates of the first pass, in file order.</param>
    /// <param name="errors">The listed errors; each duplicate's sits at its <see cref="Duplicate.ErrorIndex"/>.</param>
    /// <param name="cancellationToken">Stops the pass.</param>
    public static async Task ResolveAsync(JsonlLineReader reader, List<Duplicate> duplicates, List<BatchInputError> errors, CancellationToken cancellationToken)
    {
        var firstLines = new Dictionary<UInt128, (long Line, string Id)>();
        foreach (var d in duplicates)
        {
            firstLines[d.Hash] = (0, "");
        }

        var lastLine = duplicates[^1].Line;
        var seen = new CustomIdSet();
        var lineErrors = new List<BatchInputError>(4);
        await using (reader.ConfigureAwait(false))
        {
            var firstContentLine = true;
            while (reader.LineNumber < lastLine && await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var request = BatchLineChecker.Check(reader, lineErrors, copyBody: false, firstContentLine, out var blank, out _);
                firstContentLine &= blank;
                if (request is null)
                {
                    continue;
                }

                var hash = CustomIdHash.Key(request.CustomId);
                if (seen.Add(hash) && firstLines.ContainsKey(hash))
                {
                    firstLines[hash] = (reader.LineNumber, request.CustomId);
                }
            }
        }

        // Walk backwards so that removing a collision does not shift the indexes still to be visited.
        for (var i = duplicates.Count - 1; i >= 0; i--)
        {
            var d = duplicates[i];
            var (line, id) = firstLines[d.Hash];
            if (line > 0 && line < d.Line && id == d.CustomId)
            {
                errors[d.ErrorIndex] = BatchFileValidator.DuplicateError(errors[d.ErrorIndex].Path, d.Line, d.CustomId, line);
            }
            else if (line > 0 && id != d.CustomId)
            {
                // Two different ids with one key (chance 2^-128 a pair): resume could not tell them apart.
                errors[d.ErrorIndex] = new BatchInputError(errors[d.ErrorIndex].Path, d.Line, "custom_id", $"\"{d.CustomId}\" has the same 128-bit identity as \"{id}\" on line {line}, so a resumed run could not tell them apart; rename one");
            }
        }
    }

    /// <summary>A line whose custom_id was seen before, and where its error sits in the list.</summary>
    internal readonly record struct Duplicate(UInt128 Hash, string CustomId, long Line, int ErrorIndex);
}
