using LlmBatch.Input;

namespace LlmBatch.Packing;

/// <summary>
/// Embeddings requests of one input each, sent as one request of many inputs. The packed body is the members'
/// shared fields (model, dimensions, encoding format, user) with <c>input</c> an array of their inputs in order, so
/// <c>data[i]</c> of the answer belongs to member <c>i</c>.
/// </summary>
internal sealed class EmbeddingPack
{
    private readonly List<PackMember> _members = [];

    /// <summary>Starts a pack of requests that share <paramref name="sharedFields"/>.</summary>
    public EmbeddingPack(byte[] sharedFields, string model)
    {
        SharedFields = sharedFields;
        Model = model;
    }

    /// <summary>The members' fields other than <c>input</c>, as raw JSON properties: what makes requests packable together.</summary>
    public byte[] SharedFields { get; }

    /// <summary>The model every member names.</summary>
    public string Model { get; }

    /// <summary>The members in order.</summary>
    public IReadOnlyList<PackMember> Members => _members;

    /// <summary>Local token count of all members' inputs.</summary>
    public long Tokens { get; private set; }

    /// <summary>Adds a member.</summary>
    public void Add(in PackMember member)
    {
        _members.Add(member);
        Tokens += member.Tokens;
    }

    /// <summary>A pack of some of these members (for splitting a pack the server refused).</summary>
    public EmbeddingPack Slice(int start, int count)
    {
        var part = new EmbeddingPack(SharedFields, Model);
        for (var i = start; i < start + count; i++)
        {
            part.Add(_members[i]);
        }

        return part;
    }

    /// <summary>The request that sends the whole pack: its custom_id names the first member and the size, for logs only.</summary>
    public BatchRequest ToRequest()
    {
        // The shared fields are raw "name":value pairs and the inputs raw values, written back as they came.
        var length = SharedFields.Length + 16;
        foreach (var m in _members)
        {
            length += m.Input.Length + 1;
        }

        var body = new byte[length];
        var at = 0;
        void Put(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(body.AsSpan(at));
            at += bytes.Length;
        }

        Put("{"u8);
        if (SharedFields.Length > 0)
        {
            Put(SharedFields);
            Put(","u8);
        }

        Put("\"input\":["u8);
        for (var i = 0; i < _members.Count; i++)
        {
            if (i > 0)
            {
                Put(","u8);
            }

            Put(_members[i].Input.Span);
        }

        Put("]}"u8);
        var first = _members[0].Request;
        return new BatchRequest($"{first.CustomId} (+{_members.Count - 1} packed)", BatchEndpointKind.Embeddings, first.Url, body.AsMemory(0, at), Model, null, first.LineNumber);
    }
}
