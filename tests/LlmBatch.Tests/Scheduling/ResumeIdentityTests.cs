using System.IO.Hashing;
using System.Text;
using LlmBatch.Input;
using LlmBatch.Output;
using LlmBatch.Tests.Output;
using LlmBatch.Tests.TestSupport;

namespace LlmBatch.Tests.Scheduling;

/// <summary>
/// Resume knows items by a key, not by their string. Two ids whose 64-bit XxHash3 collide (this pair was searched out
/// with about 2^33 hashes, an hour on one core) must stay two items, in validation, resume, repair and reordering.
/// </summary>
public sealed class ResumeIdentityTests
{
    private const string First = "id-8e7c0b7c530badfd";
    private const string Second = "id-4d23ede0565dcf0d";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Line(string id) =>
        $$$"""{"custom_id":"{{{id}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"{{{id}}}"}],"max_tokens":8}}""";

    [Fact]
    public void ThePair_Collides64BitsButNot128()
    {
        Assert.Equal(XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(First)), XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(Second)));
        Assert.NotEqual(CustomIdHash.Key(First), CustomIdHash.Key(Second));
        Assert.Equal(CustomIdHash.Key(First), CustomIdHash.Key(Encoding.UTF8.GetBytes(First)));
    }

    [Fact]
    public async Task RunAsync_OutputHoldsOneOfTwoCollidingIds_TheOtherIsStillSent()
    {
        using var dir = new TempDir();
        var input = dir.File("in.jsonl");
        var output = dir.File("out.jsonl");
        await File.WriteAllTextAsync(input, Line(First) + "\n" + Line(Second) + "\n", Ct);
        await File.WriteAllTextAsync(output, ResultFactory.Line(ResultFactory.Success(First)), Ct);
        var provider = new ScriptedHandler(ScriptedHandler.Status(200));
        var engine = new BatchEngineBuilder(provider).Build();

        var result = await BatchJob.RunAsync(engine, new BatchJobOptions { InputPath = input, OutputPath = output }, Ct);

        Assert.Equal(1, provider.Calls);
        Assert.Equal(1, result.Skipped);
        var ids = new List<string>();
        await foreach (var r in BatchOutputFile.ReadAsync(output, Ct))
        {
            ids.Add(r.CustomId);
        }

        Assert.Equal([First, Second], ids);

        // A second rerun keeps both lines (no "duplicate" removed) and sends nothing.
        var again = await BatchJob.RunAsync(engine, new BatchJobOptions { InputPath = input, OutputPath = output, PreserveOrder = true }, Ct);
        Assert.Equal(2, again.Skipped);
        Assert.Equal(1, provider.Calls);
        Assert.Equal(2, (await File.ReadAllLinesAsync(output, Ct)).Length);
    }

    [Fact]
    public async Task ReadAsync_StreamWithCollidingIds_NotTakenForADuplicate()
    {
        using var unseekable = new TrickleStream(Encoding.UTF8.GetBytes(Line(First) + "\n" + Line(Second) + "\n"), 1 << 16);

        var ids = new List<string>();
        await foreach (var r in BatchInputFile.ReadAsync(unseekable, "-", Ct))
        {
            ids.Add(r.CustomId);
        }

        Assert.Equal([First, Second], ids);
    }
}
