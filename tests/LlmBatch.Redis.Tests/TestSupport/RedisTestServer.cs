using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LlmBatch.Redis.Tests.TestSupport;

/// <summary>
/// A private <c>redis-server</c> (the Debian package of that name) on a free loopback port, in its own temporary
/// directory, stopped and deleted on dispose. It can be killed and started again on the same port and directory with
/// nothing acknowledged lost (append-only file, fsync on every write), as the Redis-restart tests need.
/// </summary>
/// <remarks>
/// The README's test command must pass on a fresh machine, so a missing server is installed here with
/// <c>apt-get</c> (once per machine: a lock file keeps test processes that start together from racing dpkg), and
/// when that cannot be done the tests fail with a message naming the package. They never skip silently.
/// </remarks>
public sealed class RedisTestServer : IAsyncDisposable
{
    /// <summary>The Debian package that provides the server.</summary>
    public const string Package = "redis-server";

    private readonly string _executable;
    private Process? _process;

    private RedisTestServer(string executable, string directory, int port)
    {
        _executable = executable;
        Directory = directory;
        Port = port;
    }

    /// <summary>The server's data directory (append-only file and logs).</summary>
    public string Directory { get; }

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The URL a client connects with, in the form <c>redis://127.0.0.1:port</c>.</summary>
    public string Url => $"redis://127.0.0.1:{Port}";

    /// <summary>The <c>host:port</c> form StackExchange.Redis takes.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Starts a server, installing the package first when the machine has none.</summary>
    public static async Task<RedisTestServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var executable = await EnsureInstalledAsync(cancellationToken);
        var directory = System.IO.Directory.CreateTempSubdirectory("llmbatch-redis-").FullName;
        var server = new RedisTestServer(executable, directory, FreePort());
        await server.StartAgainAsync(cancellationToken);
        return server;
    }

    /// <summary>Starts the server again on the same port and directory after <see cref="KillAsync"/>.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(_executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        foreach (var arg in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--dir", Directory, "--appendonly", "yes", "--appendfsync", "always", "--save", "",
            "--protected-mode", "no", "--daemonize", "no", "--logfile", Path.Combine(Directory, "redis.log"),
        })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {_executable}");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await PingsAsync(cancellationToken))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                var log = Path.Combine(Directory, "redis.log");
                throw new InvalidOperationException(
                    $"redis-server did not answer on port {Port}: {(File.Exists(log) ? File.ReadAllText(log) : "no log")}");
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>Kills the server at once (SIGKILL), as a crash or a lost machine would.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<bool> PingsAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
            await socket.SendAsync("PING\r\n"u8.ToArray(), cancellationToken);
            var buffer = new byte[16];
            var read = await socket.ReceiveAsync(buffer, cancellationToken);
            return read >= 5 && buffer[0] == (byte)'+';
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? Find()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Append("/usr/bin").Append("/usr/sbin"))
        {
            var candidate = Path.Combine(dir, "redis-server");
            if (dir.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    private static async Task<string> EnsureInstalledAsync(CancellationToken cancellationToken)
    {
        if (Find() is { } found)
        {
            return found;
        }

        await InstallGate.WaitAsync(cancellationToken);
        try
        {
            // Another test process may hold dpkg's lock: one machine-wide lock file makes them take turns.
            await using var machineLock = await LockFileAsync(cancellationToken);
            if (Find() is { } installedMeanwhile)
            {
                return installedMeanwhile;
            }

            var output = new System.Text.StringBuilder();
            var installed = await RunAsync("apt-get", ["install", "-y", "--no-install-recommends", Package], output, cancellationToken)
                || (await RunAsync("apt-get", ["update"], output, cancellationToken)
                    && await RunAsync("apt-get", ["install", "-y", "--no-install-recommends", Package], output, cancellationToken));
            return installed && Find() is { } path
                ? path
                : throw new InvalidOperationException(
                    $"The Redis tests need the Debian package '{Package}' (redis-server 6.2 or newer on PATH), and installing it failed. " +
                    $"Install it with: apt-get install -y {Package}\n{output}");
        }
        finally
        {
            InstallGate.Release();
        }
    }

    private static async Task<FileStream> LockFileAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), "llmbatch-redis-install.lock");
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    private static async Task<bool> RunAsync(string file, string[] args, System.Text.StringBuilder output, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        try
        {
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            output.Append(file).Append(' ').AppendJoin(' ', args).Append(": exit ").Append(process.ExitCode).AppendLine()
                .AppendLine(await stderr);
            _ = await stdout;
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            output.AppendLine($"{file}: {e.Message}");
            return false;
        }
    }
}
