using System.Runtime.InteropServices;

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
            Console.Error.WriteLine("llmbatch: stopping: no new requests; waiting for those in flight (Ctrl+C again to quit now; the rerun resumes).");
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
            Console.Error.WriteLine("llmbatch: quitting now; the rerun resumes.");
            Environment.Exit(130);
        }
    }
}
