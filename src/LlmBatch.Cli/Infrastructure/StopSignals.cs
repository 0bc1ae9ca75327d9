using System.Runtime.InteropServices;
using LlmBatch.Cli.Progress;

namespace LlmBatch.Cli.Infrastructure;

/// <summary>
/// Ctrl+C and SIGTERM request a graceful stop (no new dispatch, in-flight requests get a grace period, the output is
/// flushed); a second one at least <see cref="QuitInterval"/> later exits at once with 130. Signals closer together
/// are one request: coreutils <c>timeout</c>, for one, sends SIGTERM to the process and to its group, which delivers
/// two at once. What was written stays, and the same command resumes.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    /// <summary>A signal this soon after the first is the same request, not "quit now" (a person pressing again takes longer).</summary>
    public static readonly TimeSpan QuitInterval = TimeSpan.FromMilliseconds(500);

    private readonly CancellationTokenSource _stop;
    private readonly TimeProvider _time;
    private readonly Action<int> _exit;
    private readonly bool _registered;
    private readonly PosixSignalRegistration? _sigterm;
    private readonly Lock _gate = new();
    private long? _firstAt;
    private bool _quitting;
    private volatile IProgressView? _view;

    internal StopSignals(CancellationTokenSource stop, TimeProvider time, Action<int> exit, bool register)
    {
        _stop = stop;
        _time = time;
        _exit = exit;
        _registered = register;
        if (!register)
        {
            return;
        }

        Console.CancelKeyPress += OnCancelKeyPress;
        if (!OperatingSystem.IsWindows())
        {
            _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSigterm);
        }
    }

    public static StopSignals Register(CancellationTokenSource stop) => new(stop, TimeProvider.System, Environment.Exit, register: true);

    /// <summary>
    /// The progress display that shows the stop messages while it is live (a raw write to the terminal would tear
    /// a live panel); null to write them to stderr.
    /// </summary>
    public IProgressView? View
    {
        get => _view;
        set => _view = value;
    }

    /// <summary>What the first Ctrl+C says; the Batch API mode says that batches keep running on the provider.</summary>
    public string StoppingMessage { get; set; } =
        "llmbatch: stopping: no new items; finishing those already started, for the grace period at most (Ctrl+C again to quit now; the rerun resumes).";

    public void Dispose()
    {
        if (_registered)
        {
            Console.CancelKeyPress -= OnCancelKeyPress;
        }

        _sigterm?.Dispose();
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        Request();
    }

    private void OnSigterm(PosixSignalContext context)
    {
        context.Cancel = true;
        Request();
    }

    /// <summary>Handles one stop signal: the first stops gracefully, one at least <see cref="QuitInterval"/> later quits now.</summary>
    internal void Request()
    {
        var now = _time.GetTimestamp();
        bool first;
        lock (_gate)
        {
            if (_quitting)
            {
                return;
            }

            first = _firstAt is null;
            if (first)
            {
                _firstAt = now;
            }
            else if (_time.GetElapsedTime(_firstAt!.Value, now) < QuitInterval)
            {
                // The same request delivered twice (a signal to the process and one to its group): not "quit now".
                return;
            }
            else
            {
                _quitting = true;
            }
        }

        if (first)
        {
            Tell(StoppingMessage, immediately: false);
            try
            {
                _stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The run already ended.
            }
        }
        else
        {
            Tell("llmbatch: quitting now; the rerun resumes.", immediately: true);
            _exit(130);
        }
    }

    private void Tell(string message, bool immediately)
    {
        if (_view is { } view)
        {
            view.Stopping(message, immediately);
        }
        else
        {
            Console.Error.WriteLine(message);
        }
    }
}
