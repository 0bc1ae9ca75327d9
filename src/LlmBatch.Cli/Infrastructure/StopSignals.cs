using System.Runtime.InteropServices;
using LlmBatch.Cli.Progress;

namespace LlmBatch.Cli.Infrastructure;

/// <summary>
/// Ctrl+C and SIGTERM request a graceful stop (no new dispatch, in-flight requests get a grace period, the output is
/// flushed); a second Ctrl+C exits at once with 130. What was written stays, and the same command resumes.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration? _sigterm;
    private int _count;
    private volatile IProgressView? _view;

    private StopSignals(CancellationTokenSource stop)
    {
        _stop = stop;
        Console.CancelKeyPress += OnCancelKeyPress;
        if (!OperatingSystem.IsWindows())
        {
            _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSigterm);
        }
    }

    public static StopSignals Register(CancellationTokenSource stop) => new(stop);

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
        Console.CancelKeyPress -= OnCancelKeyPress;
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

    private void Request()
    {
        if (Interlocked.Increment(ref _count) == 1)
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
            Environment.Exit(130);
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
