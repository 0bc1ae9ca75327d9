using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using LlmBatch.Output;
using LlmBatch.Providers;
using LlmBatch.RateLimiting;
using LlmBatch.Resilience;

namespace LlmBatch.BatchApi;

/// <summary>
/// The Files and Batches API calls the job makes, with the key in the header <see cref="HttpBatchHandler.AuthHeader"/>
/// chooses and URLs from <see cref="BatchApiUrls"/>. Reads (and cancel, which is idempotent) are retried with full-jitter
/// backoff on 408, 409, 429, 5xx and transport errors, the server's wait first. Upload and create are retried only
/// when they certainly did not happen (a 429, or a connection never made): after any other failure the caller first
/// looks for what the call may have made (<see cref="FindFileAsync"/>, <see cref="FindBatchAsync"/>), so nothing is
/// uploaded or created twice.
/// </summary>
internal sealed class BatchApiClient : IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan UploadTimeout = TimeSpan.FromMinutes(30);

    private readonly HttpClient _http;
    private readonly bool _ownsClient;
    private readonly string? _authName;
    private readonly string? _authValue;
    private readonly TimeProvider _time;
    private readonly RetryBackoff _backoff;
    private readonly int _maxAttempts;

    public BatchApiClient(Uri baseUrl, string? apiKey, HttpClient? httpClient, TimeProvider time, TimeSpan retryBaseDelay, int maxAttempts = 8)
    {
        Urls = new BatchApiUrls(baseUrl);
        (_authName, _authValue) = HttpBatchHandler.AuthHeader(baseUrl, apiKey);
        _ownsClient = httpClient is null;
        _http = httpClient ?? HttpBatchHandler.CreateDefaultClient();
        _time = time;
        _backoff = new RetryBackoff(retryBaseDelay, TimeSpan.FromSeconds(60));
        _maxAttempts = maxAttempts;
    }

    public BatchApiUrls Urls { get; }

    /// <summary>Uploads an input file with purpose <c>batch</c>.</summary>
    public async Task<ProviderFile> UploadAsync(string path, string filename, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() =>
        {
            var form = new MultipartFormDataContent { { new StringContent("batch"), "purpose" } };
            var file = new StreamContent(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan));
            file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
            form.Add(file, "file", filename);
            return new HttpRequestMessage(HttpMethod.Post, Urls.Files) { Content = form };
        }, idempotent: false, $"upload of {filename}", UploadTimeout, cancellationToken).ConfigureAwait(false);
        return BatchApiJson.ReadFile(await JsonAsync(response, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Finds an uploaded batch file by name and size (an upload whose answer was lost), newest first.</summary>
    public async Task<ProviderFile?> FindFileAsync(string filename, long bytes, CancellationToken cancellationToken)
    {
        string? after = null;
        for (var page = 0; page < 20; page++)
        {
            var query = "purpose=batch&order=desc&limit=10000" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
            var (items, more) = await ListAsync(BatchApiUrls.WithQuery(Urls.Files, query), "list of files", cancellationToken).ConfigureAwait(false);
            foreach (var item in items)
            {
                var file = BatchApiJson.ReadFile(item);
                if (file.Filename == filename && (file.Bytes < 0 || file.Bytes == bytes))
                {
                    return file;
                }

                after = file.Id;
            }

            if (!more || items.Count == 0)
            {
                break;
            }
        }

        return null;
    }

    /// <summary>Creates a batch on an uploaded file, with a 24 h window.</summary>
    public async Task<BatchApiBatch> CreateBatchAsync(string fileId, string endpoint, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var body = new MemoryStream();
        using (var w = new Utf8JsonWriter(body))
        {
            w.WriteStartObject();
            w.WriteString("input_file_id", fileId);
            w.WriteString("endpoint", endpoint);
            w.WriteString("completion_window", "24h");
            w.WriteStartObject("metadata");
            foreach (var (key, value) in metadata)
            {
                w.WriteString(key, value);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        var bytes = body.ToArray();
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, Urls.Batches) { Content = Json(bytes) },
            idempotent: false, $"creation of a batch on {fileId}", CallTimeout, cancellationToken).ConfigureAwait(false);
        return BatchApiJson.ReadBatch(await JsonAsync(response, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Finds a batch on <paramref name="inputFileId"/> created since <paramref name="since"/> that is not one of
    /// <paramref name="known"/> (a creation whose answer was lost); newest first, stopping at older batches.
    /// </summary>
    public async Task<BatchApiBatch?> FindBatchAsync(string inputFileId, IReadOnlyCollection<string> known, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await foreach (var batch in ListBatchesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (batch.CreatedAt is { } created && created < since)
            {
                break;
            }

            if (batch.InputFileId == inputFileId && !known.Contains(batch.Id))
            {
                return batch;
            }
        }

        return null;
    }

    /// <summary>Every batch of the account, newest first, a page of 100 at a time.</summary>
    public async IAsyncEnumerable<BatchApiBatch> ListBatchesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? after = null;
        while (true)
        {
            var query = "limit=100" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
            var (items, more) = await ListAsync(BatchApiUrls.WithQuery(Urls.Batches, query), "list of batches", cancellationToken).ConfigureAwait(false);
            foreach (var item in items)
            {
                var batch = BatchApiJson.ReadBatch(item);
                after = batch.Id;
                yield return batch;
            }

            if (!more || items.Count == 0)
            {
                yield break;
            }
        }
    }

    public async Task<BatchApiBatch> GetBatchAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Urls.Batch(id)), idempotent: true, $"status of {id}", CallTimeout, cancellationToken).ConfigureAwait(false);
        return BatchApiJson.ReadBatch(await JsonAsync(response, cancellationToken).ConfigureAwait(false));
    }

    public async Task<BatchApiBatch> CancelBatchAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, Urls.Cancel(id)), idempotent: true, $"cancel of {id}", CallTimeout, cancellationToken).ConfigureAwait(false);
        return BatchApiJson.ReadBatch(await JsonAsync(response, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Opens a file's content as a stream (read it to the end, then dispose it).</summary>
    public async Task<Stream> OpenContentAsync(string fileId, CancellationToken cancellationToken)
    {
        var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Urls.FileContent(fileId)), idempotent: true, $"download of {fileId}", CallTimeout, cancellationToken, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        try
        {
            return new ResponseStream(response, await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Deletes a file; one already gone is no error.</summary>
    public async Task DeleteFileAsync(string fileId, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, Urls.File(fileId)), idempotent: true, $"delete of {fileId}", CallTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (BatchApiException ex) when (ex.StatusCode == 404)
        {
            // Already deleted (by an earlier run, or expired on the provider).
        }
    }

    /// <summary>True when the server has a Batches API at all (a 404 or 405 on its list says it has none).</summary>
    public async Task<bool> SupportsBatchesAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ListAsync(BatchApiUrls.WithQuery(Urls.Batches, "limit=1"), "list of batches", cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (BatchApiException ex) when (ex.StatusCode is 404 or 405)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (_ownsClient)
        {
            _http.Dispose();
        }
    }

    private async Task<(List<JsonElement> Items, bool HasMore)> ListAsync(Uri uri, string what, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, uri), idempotent: true, what, CallTimeout, cancellationToken).ConfigureAwait(false);
        return BatchApiJson.ReadList(await JsonAsync(response, cancellationToken).ConfigureAwait(false));
    }

    private async Task<HttpResponseMessage> SendAsync(
        Func<HttpRequestMessage> build, bool idempotent, string what, TimeSpan timeout, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = build();
            if (_authName is not null)
            {
                request.Headers.TryAddWithoutValidation(_authName, _authValue);
            }

            HttpResponseMessage response;
            using (var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                attemptTimeout.CancelAfter(timeout);
                try
                {
                    response = await _http.SendAsync(request, completion, attemptTimeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is HttpRequestException or IOException or OperationCanceledException)
                {
                    var certainlyNotSent = ex is HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } };
                    if ((!idempotent && !certainlyNotSent) || attempt >= _maxAttempts)
                    {
                        throw new BatchApiException(what, 0, null, ex is OperationCanceledException ? $"no answer within {timeout.TotalMinutes:0} min" : ex.Message, ex);
                    }

                    await Task.Delay(_backoff.Next(attempt, null), _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }
            }

            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                var status = (int)response.StatusCode;
                var retryable = status is 408 or 409 or 429 or >= 500;
                if (retryable && (idempotent || status == 429) && attempt < _maxAttempts)
                {
                    var wait = RateLimitHeaderParser.Parse(response.Headers, _time.GetUtcNow()).RetryAfter;
                    await Task.Delay(_backoff.Next(attempt, wait), _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                var message = ErrorMessageReader.Read(body, status);
                if (status is 401 or 403)
                {
                    throw new BatchAuthenticationException(status, message);
                }

                throw new BatchApiException(what, status, ErrorCode(body), message);
            }
        }
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(bytes);
        return doc.RootElement.Clone();
    }

    private static ByteArrayContent Json(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static string? ErrorCode(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object
                && e.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // Keeps the response alive while its content is read, and disposes both together.
    private sealed class ResponseStream(HttpResponseMessage response, Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
