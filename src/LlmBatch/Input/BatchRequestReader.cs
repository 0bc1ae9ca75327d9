using System.Runtime.CompilerServices;
using LlmBatch.Output;

namespace LlmBatch.Input;

/// <summary>
/// Yields the requests of an input for a run, each owning its body bytes, and stops at the first problem with a
/// <see cref="BatchInputException"/>. A run normally reads a file <see cref="BatchFileValidator"/> has passed already,
/// so this pass only turns lines into requests.
/// </summary>
internal static class BatchRequestReader
{
    /// <summary>Reads every request of the input <paramref name="open"/> opens, disposing it at the end.</summary>
    /// <param name="open">Opens the input's lines; called on the first <c>MoveNextAsync</c>, so an enumerable never
    /// enumerated holds no file handle.</param>
    /// <param name="checkedBefore">Whether the input passed <see cref="BatchFileValidator"/> already. If not (a stream
    /// that cannot be read twice), each custom_id is checked against the earlier ones and each line fully; if so, the
    /// line is only turned into a request (<see cref="BatchLineParser.ParseLine(ReadOnlyMemory{byte}, string, long, List{BatchInputError}, bool, bool)"/>).</param>
    /// <param name="cancellationToken">Stops reading.</param>
    public static async IAsyncEnumerable<BatchRequest> ReadAsync(
        Func<JsonlLineReader> open,
        bool checkedBefore,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = open();
        await using (reader.ConfigureAwait(false))
        {
            var errors = new List<BatchInputError>(4);
            var ids = checkedBefore ? null : new CustomIdSet();
            var firstContentLine = true;
            long requests = 0;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var request = BatchLineChecker.Check(reader, errors, copyBody: true, firstContentLine, out var blank, out _, checkedBefore);
                if (blank)
                {
                    continue;
                }

                firstContentLine = false;
                if (request is null)
                {
                    throw new BatchInputException(errors.ToArray());
                }

                if (ids is not null && !ids.Add(CustomIdHash.Key(request.CustomId)))
                {
                    throw new BatchInputException(BatchFileValidator.DuplicateError(reader.Path, reader.LineNumber, request.CustomId, firstLine: 0));
                }

                requests++;
                yield return request;
            }

            if (requests == 0)
            {
                throw new BatchInputException(BatchFileValidator.NoRequests(reader.Path));
            }
        }
    }
}
