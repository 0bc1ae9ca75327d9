using System.Buffers;
using System.Text.Json;
using LlmBatch.Input;

namespace LlmBatch.Providers;

/// <summary>Builds responses with OpenAI's error body <c>{"error":{"message","type","param","code"}}</c> for in-process providers.</summary>
internal static class OpenAIErrorResponse
{
    /// <summary>A 400 for a request whose endpoint the provider does not serve; permanent, so it is not retried.</summary>
    public static BatchResponse UnsupportedEndpoint(BatchRequest request, string served) =>
        Create(400, $"The endpoint {request.Url} is not supported by this provider; it serves {served} only.", "invalid_request_error", "url", "unsupported_endpoint");

    /// <summary>A 400 for a body the provider cannot serve.</summary>
    public static BatchResponse InvalidRequest(string message, string? param) =>
        Create(400, message, "invalid_request_error", param, null);

    /// <summary>The response for an exception that carried an HTTP status, with an error type matching OpenAI's for that status.</summary>
    public static BatchResponse FromStatus(int status, string message)
    {
        var (type, code) = status switch
        {
            401 => ("authentication_error", (string?)null),
            403 => ("permission_error", null),
            404 => ("not_found_error", null),
            408 => ("timeout_error", null),
            409 => ("conflict_error", null),
            429 => ("rate_limit_error", "rate_limit_exceeded"),
            >= 500 => ("server_error", null),
            _ => ("invalid_request_error", null),
        };
        return Create(status, message, type, null, code);
    }

    /// <summary>
    /// Reads the HTTP status an exception from a client library carries: <see cref="HttpRequestException.StatusCode"/>,
    /// or the <c>Status</c> of System.ClientModel's <c>ClientResultException</c>, which the OpenAI and Azure SDKs (and
    /// Microsoft.Extensions.AI.OpenAI over them) throw. Read by reflection so the core library needs no SDK reference.
    /// </summary>
    public static bool TryGetStatus(Exception exception, out int status)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is HttpRequestException { StatusCode: { } code })
            {
                status = (int)code;
                return true;
            }

            var type = ex.GetType();
            if (type.FullName == "System.ClientModel.ClientResultException"
                && type.GetProperty("Status")?.GetValue(ex) is int s && s is >= 100 and <= 599)
            {
                status = s;
                return true;
            }
        }

        status = 0;
        return false;
    }

    /// <summary>Builds an error response.</summary>
    public static BatchResponse Create(int status, string message, string type, string? param, string? code)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        WriteBody(buffer, message, type, param, code);
        return new BatchResponse { StatusCode = status, Body = buffer.WrittenMemory };
    }

    /// <summary>Writes OpenAI's error body <c>{"error":{"message","type","param","code"}}</c> (the simulator answers with it too).</summary>
    public static void WriteBody(IBufferWriter<byte> output, string message, string type, string? param, string? code)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteStartObject("error"u8);
        writer.WriteString("message"u8, message);
        writer.WriteString("type"u8, type);
        WriteNullable(writer, "param"u8, param);
        WriteNullable(writer, "code"u8, code);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
