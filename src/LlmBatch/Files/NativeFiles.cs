using System.Runtime.InteropServices;
using LlmBatch.Output;
using Microsoft.Win32.SafeHandles;

namespace LlmBatch.Files;

/// <summary>
/// The few POSIX calls .NET does not expose that file safety needs: a file's identity (device and inode), an exclusive
/// lock on a file that readers do not trip over, a canonical path, and fsync of a directory. Each degrades to a
/// documented fallback where the call does not exist (see <see cref="FileIdentity"/> and <see cref="OutputFileLock"/>).
/// </summary>
internal static class NativeFiles
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const uint StatxIno = 0x100;
    private const int FOfdSetlk = 37;
    private const short FWrlck = 1;

    /// <summary>The device and inode of the file <paramref name="path"/> names (following links), on Linux.</summary>
    public static bool TryGetId(string path, out (ulong Device, ulong Inode) id)
    {
        id = default;
        Span<byte> buffer = stackalloc byte[256];
        if (!TryStatx(path, StatxIno, buffer))
        {
            return false;
        }

        // struct statx is the same on every Linux architecture: stx_ino at 32, stx_dev_major/minor at 136/140.
        var inode = MemoryMarshal.Read<ulong>(buffer[32..]);
        var major = MemoryMarshal.Read<uint>(buffer[136..]);
        var minor = MemoryMarshal.Read<uint>(buffer[140..]);
        id = (((ulong)major << 32) | minor, inode);
        return true;
    }

    /// <summary>
    /// False when <paramref name="path"/> names (through links) something that is not a regular file: a device such as
    /// <c>/dev/full</c> or <c>/dev/stdout</c>, a pipe, a socket. True for a regular file, a directory (which fails where
    /// it is opened), a missing path, and wherever the type cannot be read (outside Linux).
    /// </summary>
    public static bool IsRegularOrMissing(string path)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (!TryStatx(path, StatxType, buffer))
        {
            return true;
        }

        // stx_mode at 28: S_IFMT 0170000, S_IFREG 0100000, S_IFDIR 0040000.
        var type = MemoryMarshal.Read<ushort>(buffer[28..]) & 0xF000;
        return type is 0x8000 or 0x4000;
    }

    // statx(2) following links into a 256-byte struct statx; false outside Linux, on error, or without the call
    // (glibc before 2.28), where callers fall back.
    private static bool TryStatx(string path, uint mask, Span<byte> buffer)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        buffer.Clear();
        try
        {
            return Statx(AtFdCwd, path, 0, mask, ref MemoryMarshal.GetReference(buffer)) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Takes an open-file-description write lock on the whole file, on Linux: it excludes the same lock taken through
    /// any other open of the same file (any path, any process, this one included), is released when the handle closes,
    /// and does not conflict with the shared locks .NET takes for ordinary readers and writers.
    /// </summary>
    /// <returns>True when locked; false when another open of the file holds it; null where such locks do not exist.</returns>
    public static bool? TryLockExclusive(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var request = new Flock { Type = FWrlck, Whence = 0, Start = 0, Length = 0 };
            var added = false;
            handle.DangerousAddRef(ref added);
            try
            {
                if (Fcntl((int)handle.DangerousGetHandle(), FOfdSetlk, ref request) == 0)
                {
                    return true;
                }
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }

            // EAGAIN/EACCES: held elsewhere. EINVAL: a kernel or file system without OFD locks.
            var errno = Marshal.GetLastPInvokeError();
            return errno is 11 or 13 ? false : null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The canonical path (every link and <c>..</c> resolved) of an existing file, on Unix; null elsewhere or on failure.</summary>
    public static string? RealPath(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        try
        {
            var resolved = Realpath(path, IntPtr.Zero);
            if (resolved == IntPtr.Zero)
            {
                return null;
            }

            try
            {
                return Marshal.PtrToStringUTF8(resolved);
            }
            finally
            {
                Free(resolved);
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Forces a directory's entries to disk, so a rename into it survives a power loss, on Unix. Best effort: a file
    /// system that cannot sync a directory (some network ones) is not an error, the rename itself already happened.
    /// </summary>
    public static void FsyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            var fd = Open(directory, 0);
            if (fd < 0)
            {
                return;
            }

            try
            {
                _ = Fsync(fd);
            }
            finally
            {
                _ = Close(fd);
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Flock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Length;
        public int Pid;
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, ref byte buffer);

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fcntl(int fd, int command, ref Flock request);

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr Realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern void Free(IntPtr pointer);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);
}
