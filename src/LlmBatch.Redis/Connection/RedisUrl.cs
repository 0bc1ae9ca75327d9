using System.Globalization;
using StackExchange.Redis;

namespace LlmBatch.Redis.Connection;

/// <summary>
/// A Redis address as users write it, <c>redis://[user:password@]host[:port][/db]</c> or <c>rediss://</c> for TLS,
/// turned into StackExchange.Redis options. The password may instead come from <see cref="PasswordVariable"/>, so that
/// it stays out of shell history and process listings. <see cref="Display"/> is the only form ever printed: the
/// password is masked in it, and <see cref="Mask"/> removes it from any other text (a client library's message).
/// </summary>
internal sealed class RedisUrl
{
    /// <summary>The environment variable read for the password when the URL carries none.</summary>
    public const string PasswordVariable = "LLMBATCH_REDIS_PASSWORD";

    private const int DefaultPort = 6379;

    private readonly string? _password;

    private RedisUrl(string host, int port, bool tls, string? user, string? password, int database)
    {
        Host = host;
        Port = port;
        Tls = tls;
        User = user;
        _password = password;
        Database = database;
        var credentials = user is null && password is null ? "" : $"{user}{(password is null ? "" : ":***")}@";
        Display = $"{(tls ? "rediss" : "redis")}://{credentials}{host}:{port.ToString(CultureInfo.InvariantCulture)}{(database == 0 ? "" : "/" + database.ToString(CultureInfo.InvariantCulture))}";
    }

    /// <summary>The server's host name or address.</summary>
    public string Host { get; }

    /// <summary>The server's port (default 6379).</summary>
    public int Port { get; }

    /// <summary>True for <c>rediss://</c>: the connection is TLS.</summary>
    public bool Tls { get; }

    /// <summary>The ACL user, or null for the default user.</summary>
    public string? User { get; }

    /// <summary>The database number (default 0).</summary>
    public int Database { get; }

    /// <summary>The URL with the password masked: the only form that is ever printed.</summary>
    public string Display { get; }

    /// <summary>Parses <paramref name="text"/>; the password, when the URL has none, comes from <paramref name="environment"/>.</summary>
    /// <exception cref="BatchOptionsException">The text is not a redis:// or rediss:// URL; the message never holds the password.</exception>
    public static RedisUrl Parse(string text, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (string.IsNullOrWhiteSpace(text)
            || !Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != "redis" && uri.Scheme != "rediss")
            || string.IsNullOrEmpty(uri.Host))
        {
            throw new BatchOptionsException([$"--redis \"{MaskUserInfo(text)}\" is not a Redis URL; write redis://host:6379, redis://user:password@host:6379/0, or rediss://… for TLS (the password may also come from {PasswordVariable})."]);
        }

        string? user = null;
        string? password = null;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            if (user.Length == 0)
            {
                // redis://:password@host is the classic AUTH form: the default user.
                user = null;
            }
        }

        if (string.IsNullOrEmpty(password) && environment(PasswordVariable) is { Length: > 0 } fromEnvironment)
        {
            password = fromEnvironment;
        }

        var database = 0;
        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0 && (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database) || database > 15_999))
        {
            throw new BatchOptionsException([$"--redis \"{MaskUserInfo(text)}\": the path must be a database number such as /0, not /{path}."]);
        }

        var host = uri.Host.Trim('[', ']');
        return new RedisUrl(host, uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port, uri.Scheme == "rediss", user, string.IsNullOrEmpty(password) ? null : password, database);
    }

    /// <summary>The client's options: reconnect on its own, never abort on a failed connect, TLS and ACL as given.</summary>
    public ConfigurationOptions ToOptions(TimeSpan commandTimeout)
    {
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            ConnectTimeout = (int)commandTimeout.TotalMilliseconds,
            AsyncTimeout = (int)commandTimeout.TotalMilliseconds,
            SyncTimeout = (int)commandTimeout.TotalMilliseconds,
            ConnectRetry = 2,
            DefaultDatabase = Database,
            Ssl = Tls,
            User = User,
            Password = _password,
            ClientName = "llmbatch",

            // Exceptions carry the endpoint, never the configuration string (which would hold the password).
            IncludeDetailInExceptions = false,
        };
        if (Tls)
        {
            options.SslHost = Host;
        }

        options.EndPoints.Add(Host, Port);
        return options;
    }

    /// <summary>Removes the password from any text, such as a client library's exception message.</summary>
    public string Mask(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _password is { Length: > 0 } p ? text.Replace(p, "***", StringComparison.Ordinal) : text;
    }

    /// <inheritdoc />
    public override string ToString() => Display;

    // For a URL that did not parse: whatever sits between "//" and "@" may be a password.
    private static string MaskUserInfo(string? text)
    {
        text ??= "";
        var start = text.IndexOf("//", StringComparison.Ordinal);
        var at = text.LastIndexOf('@');
        return at < 0 ? text
            : start >= 0 && at > start ? text[..(start + 2)] + "***" + text[at..]
            : "***" + text[at..];
    }
}
