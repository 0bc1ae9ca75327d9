using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LlmBatch.Simulator;

namespace LlmBatch.Cli.Tests.Commands;

/// <summary>
/// The command line as an attacker and an unlucky user meet it, through real processes: values at the edges of every
/// flag, secrets in URLs, escape sequences in ids, collisions between files, a full disk, a key that cannot be sent.
/// </summary>
public sealed class CliHardeningTests : TempDirTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Input(int count = 3, Func<int, string>? id = null)
    {
        var path = Path.Combine(Dir, "in.jsonl");
        var lines = Enumerable.Range(0, count).Select(i =>
            $$$"""{"custom_id":"{{{id?.Invoke(i) ?? "item-" + i}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say something about item {{{i}}} please."}],"max_tokens":16}}""");
        File.WriteAllLines(path, lines);
        return path;
    }

    private static Task<SimulatorServer> Simulator(TimeSpan? latency = null) =>
        SimulatorServer.StartAsync(new SimulatorOptions { Latency = latency ?? TimeSpan.FromMilliseconds(5), PerToken = TimeSpan.Zero, Seed = 1 }, Ct);

    [Theory]
    [InlineData("--item-deadline", "1200h")]
    [InlineData("--attempt-timeout", "9999999999s")]
    [InlineData("--grace", "1e300")]
    [InlineData("--grace", "-5s")]
    [InlineData("--rpm", "1e300")]
    [InlineData("--tpm", "0")]
    [InlineData("--rpm", "NaN")]
    [InlineData("--max-concurrency", "0")]
    [InlineData("--max-attempts", "1000")]
    [InlineData("--default-max-tokens", "20000000")]
    [InlineData("--max-tokens", "0")]
    [InlineData("--max-line-bytes", "8")]
    [InlineData("--max-memory", "1e300GB")]
    [InlineData("--max-response-bytes", "10GB")]
    [InlineData("--max-response-bytes", "12")]
    [InlineData("--prometheus-port", "70000")]
    public async Task Run_FlagOutOfRange_UsageErrorNamingTheFlag(string flag, string value)
    {
        var (code, _, stderr) = await CliProcess.RunAsync(["run", Input(), "--base-url", "http://127.0.0.1:9/v1", flag, value], Ct);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains(flag, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unexpected", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("validate {in} --max-errors 0", "--max-errors")]
    [InlineData("validate {in} --max-line-bytes 3", "--max-line-bytes")]
    [InlineData("validate {in} --max-output-tokens -1", "--max-output-tokens")]
    [InlineData("classify {in} --labels a,b --max-concurrency 0", "--max-concurrency")]
    [InlineData("classify {in} --labels a,b --max-tokens 0", "--max-tokens")]
    [InlineData("report {in} --rpm-limit NaN", "--rpm-limit")]
    [InlineData("report {in} --tpm-limit 1e300", "--tpm-limit")]
    [InlineData("prepare {in} -m m --max-tokens 99999999", "--max-tokens")]
    public async Task OtherCommands_FlagOutOfRange_UsageErrorNamingTheFlag(string commandLine, string flag)
    {
        var args = commandLine.Split(' ').Select(a => a == "{in}" ? Input() : a).ToArray();

        var (code, _, stderr) = await CliProcess.RunAsync(args, Ct);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains(flag, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unexpected", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prepare_LoneSurrogates_TextSentWithReplacementIdRejectedWithLine()
    {
        var items = Path.Combine(Dir, "items.jsonl");
        await File.WriteAllTextAsync(items, """{"id":"a","text":"cut \ud83d here"}""" + "\n", Ct);
        var bad = Path.Combine(Dir, "bad.jsonl");
        await File.WriteAllTextAsync(bad, """{"id":"ok","text":"x"}""" + "\n" + """{"id":"b\ud83d","text":"x"}""" + "\n", Ct);

        var good = await CliProcess.RunAsync(["prepare", items, "-m", "m", "-o", Path.Combine(Dir, "req.jsonl")], Ct);
        var (code, _, stderr) = await CliProcess.RunAsync(["prepare", bad, "-m", "m", "-o", Path.Combine(Dir, "req2.jsonl")], Ct);

        Assert.Equal(CliApp.ExitSuccess, good.ExitCode);
        Assert.Contains("cut \ufffd here", await File.ReadAllTextAsync(Path.Combine(Dir, "req.jsonl"), Ct), StringComparison.Ordinal);
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("bad.jsonl:2", stderr, StringComparison.Ordinal);
        Assert.Contains("surrogate", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_LongestAllowedDeadlineAndGrace_Accepted()
    {
        await using var sim = await Simulator();

        var code = await CliApp.RunAsync(["run", Input(), "--base-url", sim.BaseUrl.ToString(), "--item-deadline", "168h", "--attempt-timeout", "7.00:00:00", "--grace", "168h", "--progress", "none", "--no-report"]);

        Assert.Equal(CliApp.ExitSuccess, code);
    }

    [Theory]
    [InlineData("ftp://alice:s3cretpw@example.com/v1", "s3cretpw")]
    [InlineData("alice:s3cretpw@example.com", "s3cretpw")]
    [InlineData("javascript://x/?api-key=s3cretpw", "s3cretpw")]
    public async Task Run_BaseUrlWithCredentialsRefused_SecretNotPrinted(string url, string secret)
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync(["run", Input(), "--base-url", url], Ct);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("--base-url", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, stderr + stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BaseUrlWithKeyInQuery_KeyNeverPrinted()
    {
        await using var sim = await Simulator();
        var url = new UriBuilder(sim.BaseUrl) { Query = "api-version=2024-10-21&api-key=s3cretpw" }.Uri.ToString();

        var (code, stdout, stderr) = await CliProcess.RunAsync(["run", Input(), "--base-url", url, "--progress", "plain", "-v"], Ct);

        Assert.Equal(CliApp.ExitSuccess, code);
        Assert.Contains("api-version=2024-10-21", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cretpw", stderr + stdout, StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles(Dir))
        {
            Assert.DoesNotContain("s3cretpw", await File.ReadAllTextAsync(file, Ct), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Run_BaseUrlFromEnvironmentWithCredentials_SecretNotPrinted()
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync(["run", Input()], [("OPENAI_BASE_URL", "gopher://bob:s3cretpw@example.com/v1?token=s3cretpw")], Ct);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("OPENAI_BASE_URL", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cretpw", stderr + stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_KeyWithACharacterHttpCannotCarry_UsageErrorNamingTheVariableNotTheKey()
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync(["run", Input(), "--base-url", "http://127.0.0.1:9/v1"], [("OPENAI_API_KEY", "sk-abc\u0001s3cretpw")], Ct);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("OPENAI_API_KEY", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unexpected", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cretpw", stderr + stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BadPricesFile_UsageErrorNamingTheFlagAndNothingSent()
    {
        await using var sim = await Simulator();
        var prices = Path.Combine(Dir, "prices.json");
        await File.WriteAllTextAsync(prices, "{ not json", Ct);

        var (code, _, stderr) = await CliProcess.RunAsync(["run", Input(), "--base-url", sim.BaseUrl.ToString(), "--prices", prices, "--progress", "none"], Ct);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("--prices", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unexpected", stderr, StringComparison.Ordinal);
        Assert.Equal(0, sim.GetStats().TotalRequests);
    }

    [Fact]
    public async Task Run_PrometheusPortInUse_UsageErrorNamingTheFlagAndNothingSent()
    {
        await using var sim = await Simulator();
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;

        var (code, _, stderr) = await CliProcess.RunAsync(["run", Input(), "--base-url", sim.BaseUrl.ToString(), "--prometheus-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--progress", "none"], Ct);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("--prometheus-port", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unexpected", stderr, StringComparison.Ordinal);
        Assert.Equal(0, sim.GetStats().TotalRequests);
    }

    [Fact]
    public async Task Run_DiskFullWhileWriting_Exit130WithATrueMessageAndRerunResumes()
    {
        await using var sim = await Simulator();
        var input = Input(40);
        var output = Path.Combine(Dir, "out.jsonl");

        // The file-size limit makes every write past 4 KiB fail as a full disk would (EFBIG instead of ENOSPC);
        // SIGXFSZ is ignored so the write returns the error instead of killing the process. The runtime's W^X double
        // mapping uses a memory file the limit would refuse, so it is turned off for this process.
        var (code, _, stderr) = await CliProcess.RunInShellAsync("export DOTNET_EnableWriteXorExecute=0; trap '' XFSZ; ulimit -f 4;", ["run", input, "-o", output, "--base-url", sim.BaseUrl.ToString(), "--progress", "none", "--no-report"], Ct);

        Assert.Equal(CliApp.ExitInterrupted, code);
        Assert.Contains(output, stderr, StringComparison.Ordinal);
        Assert.Contains("resume", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("nothing was sent", stderr, StringComparison.Ordinal);
        var kept = File.ReadAllLines(output).Length;
        Assert.InRange(kept, 1, 39);

        var rerun = await CliApp.RunAsync(["run", input, "-o", output, "--base-url", sim.BaseUrl.ToString(), "--progress", "none", "--no-report"]);
        Assert.Equal(CliApp.ExitSuccess, rerun);
        Assert.Equal(40, File.ReadAllLines(output).Length);
    }

    [Theory]
    [InlineData("summary.json")]
    [InlineData("report.html")]
    public async Task Run_OutputNamedLikeTheReport_RefusedBeforeAnythingIsSent(string name)
    {
        await using var sim = await Simulator();
        var output = Path.Combine(Dir, name);

        var (code, _, stderr) = await CliProcess.RunAsync(["run", Input(), "-o", output, "--base-url", sim.BaseUrl.ToString(), "--progress", "none"], Ct);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("--report-dir", stderr, StringComparison.Ordinal);
        Assert.Equal(0, sim.GetStats().TotalRequests);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Run_InputNamedLikeTheReport_RefusedBeforeAnythingIsSent()
    {
        await using var sim = await Simulator();
        var input = Path.Combine(Dir, "summary.json");
        File.Move(Input(), input);
        var before = await File.ReadAllBytesAsync(input, Ct);

        var code = await CliApp.RunAsync(["run", input, "-o", Path.Combine(Dir, "out.jsonl"), "--base-url", sim.BaseUrl.ToString(), "--progress", "none"]);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Equal(before, await File.ReadAllBytesAsync(input, Ct));
    }

    [Fact]
    public async Task Report_OfAFileNamedSummaryJson_RefusedAndFileKept()
    {
        var results = Path.Combine(Dir, "summary.json");
        await File.WriteAllTextAsync(results, """{"custom_id":"a","response":{"status_code":200,"body":{"choices":[]}},"error":null}""" + "\n", Ct);

        var code = await CliApp.RunAsync(["report", results]);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.StartsWith("{\"custom_id\"", await File.ReadAllTextAsync(results, Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Merge_PrefixThatWouldReplaceTheResults_Refused()
    {
        var results = Path.Combine(Dir, "out.merged.jsonl");
        var line = """{"custom_id":"a","response":{"status_code":200,"body":{"choices":[{"message":{"content":"x"}}]}},"error":null}""" + "\n";
        await File.WriteAllTextAsync(results, line, Ct);

        var code = await CliApp.RunAsync(["merge", results, "-o", Path.Combine(Dir, "out")]);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Equal(line, await File.ReadAllTextAsync(results, Ct));
    }

    [Fact]
    public async Task Prepare_OutputIsTheInputInAnotherSpelling_RefusedAndInputKept()
    {
        var input = Path.Combine(Dir, "items.txt");
        await File.WriteAllTextAsync(input, "one\ntwo\n", Ct);
        File.CreateSymbolicLink(Path.Combine(Dir, "ITEMS.txt"), input);

        var code = await CliApp.RunAsync(["prepare", input, "-m", "m", "-o", Path.Combine(Dir, "ITEMS.txt")]);

        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Equal("one\ntwo\n", await File.ReadAllTextAsync(input, Ct));
    }

    [Fact]
    public async Task ValidateAndRun_EscapeSequencesInIds_PrintedEscaped()
    {
        // ESC ] 0 ; … BEL would retitle the terminal, ESC [ 2 J clear it, U+202E reverse what follows.
        var input = Input(2, _ => "\\u001b]0;pwned\\u0007\\u001b[2J\\u202eevil");

        var validate = await CliProcess.RunAsync(["validate", input, "--no-tokens"], Ct);
        var run = await CliProcess.RunAsync(["run", input, "--base-url", "http://127.0.0.1:9/v1"], Ct);

        foreach (var (code, stdout, stderr) in new[] { validate, run })
        {
            Assert.Equal(CliApp.ExitUsage, code);
            Assert.Contains("\\u001b]0;pwned\\u0007\\u001b[2J\\u202eevil", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain('\u001b', stderr + stdout);
            Assert.DoesNotContain('\u0007', stderr + stdout);
            Assert.DoesNotContain('\u202e', stderr + stdout);
        }
    }

    [Fact]
    public async Task Validate_EscapeSequenceInAModelName_SummaryPrintedEscaped()
    {
        var path = Path.Combine(Dir, "in.jsonl");
        await File.WriteAllTextAsync(path, """{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"m\u001b[31mred","input":"x"}}""" + "\n", Ct);

        var (code, stdout, stderr) = await CliProcess.RunAsync(["validate", path, "--no-tokens"], Ct);

        Assert.Equal(CliApp.ExitSuccess, code);
        Assert.Contains("m\\u001b[31mred", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', stdout + stderr);
    }

    [Fact]
    public async Task Run_TwoSigtermsTogether_GracefulStopWithSummaryNotQuitNow()
    {
        await using var sim = await Simulator(latency: TimeSpan.FromSeconds(30));
        var output = Path.Combine(Dir, "out.jsonl");
        using var process = CliProcess.Start(["run", Input(5), "-o", output, "--base-url", sim.BaseUrl.ToString(), "--grace", "1s", "--progress", "none", "--no-report"]);
        var stderr = new StringBuilder();
        var stopping = new TaskCompletionSource();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }

            if (e.Data?.Contains("request(s);", StringComparison.Ordinal) == true)
            {
                stopping.TrySetResult();
            }
        };
        process.BeginErrorReadLine();
        await stopping.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        while (sim.GetStats().TotalRequests == 0)
        {
            await Task.Delay(50, Ct);
        }

        // What coreutils timeout does: one SIGTERM to the process, one to its group, together.
        using (var kill = Process.Start("bash", ["-c", $"kill -TERM {process.Id}; kill -TERM {process.Id}"]))
        {
            await kill.WaitForExitAsync(Ct);
        }

        await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        var text = stderr.ToString();
        Assert.Equal(CliApp.ExitInterrupted, process.ExitCode);
        Assert.DoesNotContain("quitting now", text, StringComparison.Ordinal);
        Assert.Contains("stopping", text, StringComparison.Ordinal);
    }
}
