namespace LlmBatch.Providers;

/// <summary>A response body's content coding, among those <see cref="HttpBatchHandler"/> decodes itself.</summary>
internal enum Coding
{
    /// <summary>Plain, or a coding left as it came.</summary>
    None,

    /// <summary><c>gzip</c> (and <c>x-gzip</c>).</summary>
    Gzip,

    /// <summary><c>deflate</c>: the zlib format.</summary>
    Deflate,

    /// <summary><c>br</c>: Brotli.</summary>
    Brotli,
}
