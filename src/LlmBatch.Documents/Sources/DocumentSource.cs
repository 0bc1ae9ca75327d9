using LlmBatch.Input;
using Microsoft.Extensions.FileSystemGlobbing;

namespace LlmBatch.Documents;

/// <summary>
/// The documents an input names: a folder (recursively), a glob such as <c>docs/**/*.md</c>, or one file. Folders are
/// walked one directory at a time in ordinal name order, so the order is the same on every run and memory holds one
/// directory's listing, not the whole tree; hidden files and folders (names starting with a dot) are left out.
/// </summary>
public static class DocumentSource
{
    /// <summary>
    /// True when <paramref name="input"/> names documents rather than a file of items: a folder, a glob, or a file with
    /// a document extension (<see cref="DocumentReader.StructuredExtensions"/>).
    /// </summary>
    /// <param name="input">The INPUT argument.</param>
    /// <returns>True for documents.</returns>
    public static bool IsDocuments(string input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Directory.Exists(input)
            || (!File.Exists(input) && IsGlob(input))
            || DocumentReader.StructuredExtensions.Contains(Path.GetExtension(input).ToLowerInvariant());
    }

    /// <summary>The documents of an input, in a stable order.</summary>
    /// <param name="input">A folder, a glob or a file.</param>
    /// <param name="exclude">Files to leave out (for example the run's own outputs inside the folder), by full path; null for none.</param>
    /// <returns>The documents.</returns>
    /// <exception cref="BatchInputException">The input names nothing that exists.</exception>
    public static IEnumerable<DocumentFile> Enumerate(string input, Func<string, bool>? exclude = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(input);
        exclude ??= static _ => false;
        if (Directory.Exists(input))
        {
            return Walk(Path.GetFullPath(input), exclude);
        }

        if (File.Exists(input))
        {
            var full = Path.GetFullPath(input);
            return exclude(full) ? [] : [new DocumentFile(full, Path.GetFileName(full))];
        }

        if (IsGlob(input))
        {
            return Glob(input, exclude);
        }

        throw new BatchInputException(new BatchInputError(input, 0, "", "no such file or folder"));
    }

    private static bool IsGlob(string input) => input.AsSpan().IndexOfAny("*?[") >= 0;

    private static IEnumerable<DocumentFile> Walk(string root, Func<string, bool> exclude)
    {
        // Depth first, each directory's entries in ordinal name order: the order of the sorted relative paths,
        // holding one listing per level of depth.
        var pending = new Stack<(List<FileSystemInfo> Entries, int Next)>();
        pending.Push((List(root), 0));
        while (pending.Count > 0)
        {
            var (entries, next) = pending.Pop();
            if (next >= entries.Count)
            {
                continue;
            }

            pending.Push((entries, next + 1));
            var entry = entries[next];
            if (entry is DirectoryInfo dir)
            {
                pending.Push((List(dir.FullName), 0));
            }
            else if (!exclude(entry.FullName))
            {
                yield return new DocumentFile(entry.FullName, Relative(root, entry.FullName));
            }
        }
    }

    private static List<FileSystemInfo> List(string dir)
    {
        var entries = new List<FileSystemInfo>();
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            if (!entry.Name.StartsWith('.'))
            {
                entries.Add(entry);
            }
        }

        entries.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return entries;
    }

    private static IEnumerable<DocumentFile> Glob(string input, Func<string, bool> exclude)
    {
        // The base is the longest leading run of path segments without a wildcard.
        var normalized = input.Replace('\\', '/');
        var segments = normalized.Split('/');
        var fixedCount = 0;
        while (fixedCount < segments.Length - 1 && !IsGlob(segments[fixedCount]))
        {
            fixedCount++;
        }

        var baseDir = fixedCount == 0 ? "." : string.Join('/', segments[..fixedCount]);
        if (baseDir.Length == 0)
        {
            baseDir = "/";
        }

        var pattern = string.Join('/', segments[fixedCount..]);
        var root = Path.GetFullPath(baseDir);
        if (!Directory.Exists(root))
        {
            throw new BatchInputException(new BatchInputError(input, 0, "", $"no such folder {baseDir}"));
        }

        var matcher = new Matcher(StringComparison.Ordinal);
        matcher.AddInclude(pattern);
        var files = new List<string>();
        foreach (var relative in matcher.GetResultsInFullPath(root))
        {
            var rel = Relative(root, relative);
            if (!rel.Split('/').Any(s => s.StartsWith('.')) && !exclude(relative))
            {
                files.Add(relative);
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files.Select(f => new DocumentFile(f, Relative(root, f)));
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');
}
