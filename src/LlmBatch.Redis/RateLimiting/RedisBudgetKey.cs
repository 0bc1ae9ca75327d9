using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LlmBatch.Redis.RateLimiting;

/// <summary>Names a shared budget: <c>{prefix}budget:{endpoint[|model]:hash}</c>, the braces a cluster hash tag.</summary>
internal static class RedisBudgetKey
{
    /// <summary>The name for <paramref name="endpoint"/> (and <paramref name="model"/>) and a hash of <paramref name="apiKey"/>.</summary>
    /// <param name="prefix">The key prefix.</param>
    /// <param name="endpoint">The provider's base URL.</param>
    /// <param name="model">The model when limits are per model, or null.</param>
    /// <param name="apiKey">The API key, or null.</param>
    public static string For(string prefix, Uri endpoint, string? model, string? apiKey)
    {
        var name = Normalise(endpoint);
        if (!string.IsNullOrEmpty(model))
        {
            name += "|" + model;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{prefix}budget:{{{name}:{KeyHash(apiKey)}}}");
    }

    /// <summary>The first 16 hex digits of the key's SHA-256 (64 bits: no two keys of one organisation meet), or <c>nokey</c>.</summary>
    public static string KeyHash(string? apiKey) =>
        string.IsNullOrEmpty(apiKey)
            ? "nokey"
            : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)), 0, 8);

    /// <summary>Host (lower case), a port other than the scheme's, and the path without a trailing slash; the scheme does not change the limits.</summary>
    public static string Normalise(Uri endpoint)
    {
        var path = endpoint.AbsolutePath.TrimEnd('/');
        return endpoint.IsDefaultPort
            ? endpoint.IdnHost.ToLowerInvariant() + path
            : string.Create(CultureInfo.InvariantCulture, $"{endpoint.IdnHost.ToLowerInvariant()}:{endpoint.Port}{path}");
    }
}
