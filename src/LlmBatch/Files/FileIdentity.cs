namespace LlmBatch.Files;

/// <summary>
/// Decides whether two paths name one file, however they are spelled: through a link, another letter case on a
/// case-insensitive file system, <c>..</c>, or a second hard link. A string comparison of the paths sees none of
/// these, and a run told to write its results "elsewhere" would overwrite its input or its own results.
/// </summary>
internal static class FileIdentity
{
    /// <summary>How this platform's usual file systems compare names: without case on Windows and macOS.</summary>
    public static StringComparison PathComparison { get; } =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>
    /// True when <paramref name="a"/> and <paramref name="b"/> name the same file: the same full path, or, when both
    /// exist, the same device and inode (Linux) or the same canonical path (elsewhere). A missing file is the same as
    /// another only when their canonical paths are equal.
    /// </summary>
    public static bool SameFile(string a, string b)
    {
        ArgumentException.ThrowIfNullOrEmpty(a);
        ArgumentException.ThrowIfNullOrEmpty(b);
        var fullA = Path.GetFullPath(a);
        var fullB = Path.GetFullPath(b);
        if (string.Equals(fullA, fullB, PathComparison))
        {
            return true;
        }

        if (File.Exists(fullA) && File.Exists(fullB) && NativeFiles.TryGetId(fullA, out var idA) && NativeFiles.TryGetId(fullB, out var idB))
        {
            return idA == idB;
        }

        return string.Equals(Canonical(fullA), Canonical(fullB), PathComparison);
    }

    /// <summary>
    /// The canonical form of a path: every link and <c>..</c> resolved for the part that exists, the rest appended as
    /// given. Equal canonical paths name the same file; the converse needs <see cref="SameFile"/>.
    /// </summary>
    public static string Canonical(string path)
    {
        var full = Path.GetFullPath(path);
        if (NativeFiles.RealPath(full) is { } real)
        {
            return real;
        }

        var parent = Path.GetDirectoryName(full);
        return string.IsNullOrEmpty(parent) || string.Equals(parent, full, StringComparison.Ordinal)
            ? full
            : Path.Combine(Canonical(parent), Path.GetFileName(full));
    }
}
