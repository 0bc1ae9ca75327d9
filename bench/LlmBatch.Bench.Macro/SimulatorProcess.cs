using System.Diagnostics;

namespace LlmBatch.Bench.Macro;

/// <summary>
/// One <c>llmbatch simulate</c> process on loopback: started fresh for each measured run so that no rate bucket,
/// fault stream or duplicate record carries over from the previous run.
/// </summary>
internal sealed class SimulatorProcess : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Process _process;
    private readonly OutputTail _tail;

    private SimulatorProcess(Process process, OutputTail tail, Uri baseUrl)
    {
        _process = process;
        _tail = tail;
        BaseUrl = baseUrl;
    }

    /// <summary>The OpenAI base URL, ending with <c>/v1</c>.</summary>
    public Uri BaseUrl { get; }

    public static async Task<SimulatorProcess> StartAsync(string cli, SimSettings settings)
    {
        var psi = new ProcessStartInfo(cli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in settings.ToArgs())
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["NO_COLOR"] = "1";
        var process = new Process { StartInfo = psi };
        var tail = new OutputTail();
        var url = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        tail.Line += line =>
        {
            const string Marker = "listening on ";
            var at = line.IndexOf(Marker, StringComparison.Ordinal);
            if (at >= 0 && Uri.TryCreate(line[(at + Marker.Length)..].Trim(), UriKind.Absolute, out var u))
            {
                url.TrySetResult(u);
            }
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => url.TrySetException(new InvalidOperationException("the simulator exited before it listened:\n" + tail.Text));
        process.Start();
        ChildRegistry.Add(process);
        tail.Attach(process);
        var sim = new SimulatorProcess(process, tail, new Uri("http://127.0.0.1/"));
        try
        {
            var baseUrl = await url.Task.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            // Loopback only: the benchmark never sends traffic anywhere else.
            if (!baseUrl.IsLoopback)
            {
                throw new InvalidOperationException($"the simulator listens on {baseUrl}, not on loopback; refusing to send traffic there");
            }

            return new SimulatorProcess(process, tail, baseUrl);
        }
        catch
        {
            await sim.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<SimStats> GetStatsAsync()
    {
        var stats = new Uri(BaseUrl, "/stats");
        var json = await Http.GetStringAsync(stats).ConfigureAwait(false);
        return SimStats.Parse(json);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // SIGTERM lets it stop cleanly; anything still alive after 5 s is killed.
                using (var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
                {
                    if (term is not null)
                    {
                        await term.WaitForExitAsync().ConfigureAwait(false);
                    }
                }

                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
        }
        finally
        {
            ChildRegistry.Remove(_process);
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }

    public string LogTail => _tail.Text;

    /// <summary>Kills the simulator at once (SIGKILL), as a server that dies mid-run: its connections are reset, new ones refused.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);
}
