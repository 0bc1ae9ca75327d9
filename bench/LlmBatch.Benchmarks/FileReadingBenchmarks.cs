using System.Buffers;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using LlmBatch.Input;
using LlmBatch.Output;

namespace LlmBatch.Benchmarks;

/// <summary>
/// Whole files through the line readers, 200,000 lines each: checking an input file as <c>validate</c> does (tokens
/// not counted: that is the tokenizer's cost, measured apart), checking and reading it as <c>run</c> does, reading an
/// output file back as <c>report</c> and <c>merge</c> do, the resume scan of an output file, and CSV and plain text
/// prepared into requests. The files are written once to a temporary folder; the OS cache holds them.
/// </summary>
[MemoryDiagnoser]
public class FileReadingBenchmarks
{
    private const int Lines = 200_000;
    private string _dir = "";
    private string _input = "";
    private string _output = "";
    private string _csv = "";
    private string _text = "";

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "llmbatch-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        _input = Path.Combine(_dir, "input.jsonl");
        _output = Path.Combine(_dir, "output.jsonl");
        _csv = Path.Combine(_dir, "items.csv");
        _text = Path.Combine(_dir, "items.txt");

        using (var input = new StreamWriter(_input, false, new UTF8Encoding(false)))
        using (var csv = new StreamWriter(_csv, false, new UTF8Encoding(false)))
        using (var text = new StreamWriter(_text, false, new UTF8Encoding(false)))
        {
            csv.Write("id,text,group\n");
            for (var i = 0; i < Lines; i++)
            {
                var id = "r" + i.ToString("D7", CultureInfo.InvariantCulture);
                input.Write("{\"custom_id\":\"" + id + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\"," +
                    "\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},{\"role\":\"user\",\"content\":\"" + SampleData.Prompt + "\"}],\"max_tokens\":64}}\n");
                csv.Write(id + ",\"" + SampleData.Prompt + ", quoted\"," + (i % 7).ToString(CultureInfo.InvariantCulture) + "\n");
                text.Write(SampleData.Prompt + " " + id + "\n");
            }
        }

        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        using var output = new FileStream(_output, FileMode.Create, FileAccess.Write);
        var now = DateTimeOffset.UnixEpoch;
        for (var i = 0; i < Lines; i++)
        {
            buffer.ResetWrittenCount();
            ResultLineWriter.Write(buffer, new BatchResult
            {
                CustomId = "r" + i.ToString("D7", CultureInfo.InvariantCulture),
                Id = "batch_req_" + i.ToString(CultureInfo.InvariantCulture),
                StatusCode = 200,
                RequestId = "req_" + i.ToString(CultureInfo.InvariantCulture),
                ResponseBody = SampleData.ResponseBody,
                LineNumber = i + 1,
                Stats = new BatchItemStats { Attempts = 1, Statuses = [200], StartedAt = now, FinishedAt = now, LatencyMs = 400, PromptTokens = 41, CompletionTokens = 37, UsageReported = true, Model = "gpt-4o-mini" },
            });
            output.Write(buffer.WrittenSpan);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Benchmark(Description = "validate 200 k input lines (tokens not counted)")]
    public async Task<long> ValidateInput()
    {
        var report = await BatchInputFile.ValidateAsync(_input, new BatchValidationOptions { CountTokens = false });
        return report.Requests;
    }

    [Benchmark(Description = "check and read 200 k input lines (run)")]
    public async Task<long> ReadInput()
    {
        long n = 0;
        await foreach (var request in BatchInputFile.ReadAsync(_input))
        {
            n += request.Body.Length;
        }

        return n;
    }

    [Benchmark(Description = "read 200 k output lines (report, merge)")]
    public async Task<long> ReadOutput()
    {
        long n = 0;
        await foreach (var result in BatchOutputFile.ReadAsync(_output))
        {
            n += result.StatusCode;
        }

        return n;
    }

    [Benchmark(Description = "resume scan of 200 k output lines")]
    public async Task<long> ResumeScan()
    {
        var checkpoint = await OutputCheckpoint.OpenAsync(_output, retryFailed: false, CancellationToken.None);
        return checkpoint.Done;
    }

    [Benchmark(Description = "prepare 200 k CSV rows (3 columns, quoted text)")]
    public Task<long> PrepareCsv() => PrepareAsync(_csv);

    [Benchmark(Description = "prepare 200 k text lines")]
    public Task<long> PrepareText() => PrepareAsync(_text);

    private static async Task<long> PrepareAsync(string path)
    {
        long n = 0;
        await foreach (var item in BatchInputConverter.ReadAsync(path, new BatchInputConversionOptions { Model = "gpt-4o-mini" }))
        {
            n += item.Request.Body.Length;
        }

        return n;
    }
}
