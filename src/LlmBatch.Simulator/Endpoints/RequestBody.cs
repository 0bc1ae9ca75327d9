using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;

namespace LlmBatch.Simulator;

/// <summary>Reads a whole request body into one array (Kestrel's 30 MB body limit bounds it).</summary>
internal static class RequestBody
{
    public static async ValueTask<byte[]> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        PipeReader reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (result.IsCompleted || result.IsCanceled)
            {
                var bytes = buffer.ToArray();
                reader.AdvanceTo(buffer.End);
                return bytes;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
