using System.Diagnostics;

namespace LlmBatch.Bench.Macro;

/// <summary>Drains a child's stdout and stderr (a full pipe would stall it) and keeps the last lines for diagnostics.</summary>
internal sealed class OutputTail
{
    private const int Keep = 40;
    private readonly Queue<string> _lines = new();

    public event Action<string>? Line;

    public void Attach(Process process)
    {
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Text
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > Keep)
            {
                _lines.Dequeue();
            }
        }

        Line?.Invoke(line);
    }
}
