using System.Runtime.CompilerServices;

namespace LlmBatch.Documents;

/// <summary>
/// Cuts a document into chunks of at most <see cref="ChunkingOptions.MaxTokens"/> tokens of the model's tokenizer, at
/// the largest natural boundary that fits: a section (heading, PDF page), else a paragraph, else a sentence, else a
/// word, and only for a single word longer than the limit inside it. Of the boundaries of the largest kind within the
/// limit the last is taken, so small sections share a chunk and a large one is cut at paragraphs.
/// </summary>
/// <remarks>
/// The text is read as a stream of blocks and held only from the current chunk's start to a little past its limit,
/// so a 500 MB file is chunked in the memory of a few chunks. Each sentence is counted once as it arrives; their sum
/// picks the cut and one exact count of the chunk's whole text confirms it (tokens are not quite additive across a
/// cut), stepping back to an earlier boundary in the rare case it is over.
/// </remarks>
public static class TextChunker
{
    private const int LevelToken = 0;
    private const int LevelWord = 1;
    private const int LevelSentence = 2;
    private const int LevelParagraph = 3;
    private const int LevelSection = 4;

    /// <summary>Chunks a document read as blocks (see <see cref="DocumentReader"/>).</summary>
    /// <param name="blocks">The document's blocks, in order.</param>
    /// <param name="options">The limits and the tokenizer.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The chunks, in order; none for a document without text.</returns>
    /// <exception cref="BatchOptionsException">The options are invalid.</exception>
    public static async IAsyncEnumerable<TextChunk> ChunkAsync(IAsyncEnumerable<TextBlock> blocks, ChunkingOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var state = new State(options.MaxTokens ?? int.MaxValue, options.OverlapTokens, options.Tokenizer, whole: options.MaxTokens is null);
        var source = blocks.WithCancellation(cancellationToken).ConfigureAwait(false).GetAsyncEnumerator();
        try
        {
            while (true)
            {
                while (!state.Eof && (state.Whole || state.PendingTokens() <= state.OwnBudget + state.Slack))
                {
                    if (await source.MoveNextAsync())
                    {
                        state.Append(source.Current);
                    }
                    else
                    {
                        state.Eof = true;
                    }
                }

                if (state.Next() is not { } chunk)
                {
                    yield break;
                }

                yield return chunk;
            }
        }
        finally
        {
            await source.DisposeAsync();
        }
    }

    /// <summary>The sentence starts inside <paramref name="text"/> (never 0): after . ! ? … and closing quotes, past the whitespace.</summary>
    internal static void SentenceStarts(ReadOnlySpan<char> text, List<int> starts)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is not ('.' or '!' or '?' or '…' or '。'))
            {
                continue;
            }

            var j = i + 1;
            while (j < text.Length && text[j] is '"' or '\'' or ')' or ']' or '”' or '’' or '»')
            {
                j++;
            }

            var k = j;
            while (k < text.Length && char.IsWhiteSpace(text[k]))
            {
                k++;
            }

            if (k > j && k < text.Length)
            {
                starts.Add(k);
                i = k - 1;
            }
        }
    }

    private struct Piece
    {
        public long Start;
        public long End;
        public int Tokens;
        public int Level;
    }

    private sealed class State(int maxTokens, int overlapTokens, IChunkTokenizer? tokenizer, bool whole)
    {
        private readonly List<Piece> _pieces = [];
        private readonly List<(long Offset, int Page)> _pages = [];
        private readonly List<int> _scratch = [];
        private char[] _buffer = new char[4096];
        private long _bufferOffset;
        private int _length;
        private long _chunkStart;
        private long _ownStart;
        private int _overlap;
        private int _index;

        public bool Eof { get; set; }

        public bool Whole => whole;

        public int OwnBudget => maxTokens - _overlap;

        // Sums of pieces are estimates: boundaries a little past the budget are tried too, and the exact count decides.
        public int Slack => Math.Max(4, OwnBudget / 32);

        private long End => _bufferOffset + _length;

        public int PendingTokens()
        {
            long sum = 0;
            foreach (var p in _pieces)
            {
                sum += p.Tokens;
                if (sum > OwnBudget + Slack)
                {
                    break;
                }
            }

            return (int)Math.Min(sum, int.MaxValue);
        }

        public void Append(TextBlock block)
        {
            if (block.Page is { } page && (_pages.Count == 0 || _pages[^1].Page != page))
            {
                _pages.Add((End, page));
            }

            if (block.Text.Length == 0)
            {
                return;
            }

            var start = End;
            var level = block.Boundary switch
            {
                BlockBoundary.Section => LevelSection,
                BlockBoundary.Paragraph => LevelParagraph,
                _ => _length > 0 && char.IsWhiteSpace(_buffer[_length - 1]) ? LevelWord : LevelToken,
            };
            EnsureCapacity(_length + block.Text.Length);
            block.Text.CopyTo(_buffer.AsSpan(_length));
            _length += block.Text.Length;
            if (whole)
            {
                return;
            }

            _scratch.Clear();
            SentenceStarts(block.Text, _scratch);
            var from = 0;
            foreach (var s in _scratch)
            {
                AddPiece(start + from, start + s, from == 0 ? level : LevelSentence);
                from = s;
            }

            AddPiece(start + from, start + block.Text.Length, from == 0 ? level : LevelSentence);
        }

        public TextChunk? Next()
        {
            if (_ownStart >= End || (_index == 0 && Eof && Span(_ownStart, End).IsWhiteSpace()))
            {
                // A document of nothing but whitespace has no chunk.
                return null;
            }

            if (whole)
            {
                var all = Emit(End, tokenizer is null ? 0 : Count(_chunkStart, End));
                _ownStart = End;
                return all;
            }

            long cut;
            int tokens;
            if (Eof && PendingTokensExact() <= OwnBudget + Slack && (tokens = Count(_chunkStart, End)) <= maxTokens)
            {
                cut = End;
            }
            else
            {
                (cut, tokens) = ChooseCut();
            }

            var chunk = Emit(cut, tokens);
            Advance(cut);
            return chunk;
        }

        private long PendingTokensExact()
        {
            long sum = 0;
            foreach (var p in _pieces)
            {
                sum += p.Tokens;
            }

            return sum;
        }

        private TextChunk Emit(long cut, int tokens)
        {
            var text = new string(Span(_chunkStart, cut));
            return new TextChunk(_index++, _chunkStart, cut, checked((int)(_ownStart - _chunkStart)), text, tokens, PageAt(_ownStart), PageAt(cut - 1));
        }

        private (long Cut, int Tokens) ChooseCut()
        {
            // Boundaries within the estimate: the end of each whole piece that fits, where the next piece starts.
            // A cut that would leave a scrap (a lone heading before a long section) is taken only when nothing else
            // fits: boundaries past a quarter of the budget come first.
            var candidates = new List<(long Position, int Level)>();
            var scraps = 0;
            long sum = 0;
            for (var j = 0; j + 1 < _pieces.Count; j++)
            {
                sum += _pieces[j].Tokens;
                if (sum > OwnBudget + Slack)
                {
                    break;
                }

                // A cut that left only whitespace (blank lines before a first heading) would make an empty request.
                if (!Span(_ownStart, _pieces[j + 1].Start).IsWhiteSpace())
                {
                    candidates.Add((_pieces[j + 1].Start, _pieces[j + 1].Level));
                    if (sum < OwnBudget / 4)
                    {
                        scraps = candidates.Count;
                    }
                }
            }

            while (candidates.Count > 0)
            {
                var from = scraps < candidates.Count ? scraps : 0;
                var best = candidates.Count - 1;
                for (var i = candidates.Count - 2; i >= from; i--)
                {
                    if (candidates[i].Level > candidates[best].Level)
                    {
                        best = i;
                    }
                }

                var tokens = Count(_chunkStart, candidates[best].Position);
                if (tokens <= maxTokens)
                {
                    return (candidates[best].Position, tokens);
                }

                candidates.RemoveRange(best, candidates.Count - best);
            }

            return SplitFirstPiece();
        }

        // The first piece alone is over the limit: cut it at the last word that fits, or inside a word that is too long.
        private (long Cut, int Tokens) SplitFirstPiece()
        {
            var piece = _pieces[0];
            var words = new List<long>();
            for (var p = piece.Start + 1; p < piece.End; p++)
            {
                if (!char.IsWhiteSpace(CharAt(p)) && char.IsWhiteSpace(CharAt(p - 1)))
                {
                    words.Add(p);
                }
            }

            var found = LastFitting(words);
            long cut;
            int level;
            if (found >= 0)
            {
                cut = words[found];
                level = LevelWord;
            }
            else
            {
                // No word fits: search character positions, never more than a generous bound past the start.
                var limit = Math.Min(piece.End - 1, piece.Start + (16L * maxTokens) + 16);
                var chars = new List<long>();
                for (var p = piece.Start + 1; p <= limit; p++)
                {
                    if (!char.IsLowSurrogate(CharAt(p)))
                    {
                        chars.Add(p);
                    }
                }

                var c = LastFitting(chars);
                cut = c >= 0 ? chars[c] : (chars.Count > 0 ? chars[0] : piece.End);
                level = LevelToken;
            }

            var tokens = Count(_chunkStart, cut);
            if (cut < piece.End)
            {
                _pieces.Insert(1, new Piece { Start = cut, End = piece.End, Tokens = Count(cut, piece.End), Level = level });
                piece.End = cut;
                _pieces[0] = piece;
            }

            return (cut, tokens);
        }

        // The last position p (ascending list) for which the chunk up to p is within the limit; -1 when none is.
        private int LastFitting(List<long> positions)
        {
            int lo = 0, hi = positions.Count - 1, found = -1;
            while (lo <= hi)
            {
                var mid = lo + ((hi - lo) >> 1);
                if (Count(_chunkStart, positions[mid]) <= maxTokens)
                {
                    found = mid;
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            return found;
        }

        private void Advance(long cut)
        {
            var ownStart = _ownStart;
            var done = 0;
            while (done < _pieces.Count && _pieces[done].End <= cut)
            {
                done++;
            }

            _pieces.RemoveRange(0, done);

            _ownStart = cut;
            _chunkStart = cut;
            _overlap = 0;
            if (overlapTokens > 0 && cut < End)
            {
                // The earliest word start of the chunk just cut whose tail fits in the overlap.
                var words = new List<long>();
                for (var p = ownStart; p < cut; p++)
                {
                    if (!char.IsWhiteSpace(CharAt(p)) && (p == ownStart || char.IsWhiteSpace(CharAt(p - 1))))
                    {
                        words.Add(p);
                    }
                }

                // Gallop back from the end, so that only the tail is counted, then search between the last two steps.
                int hi = words.Count - 1, step = 1, lo = hi;
                while (lo > 0 && Count(words[lo], cut) <= overlapTokens)
                {
                    hi = lo;
                    lo = Math.Max(0, lo - step);
                    step *= 2;
                }

                var found = lo == hi || Count(words[lo], cut) > overlapTokens ? -1 : lo;
                if (found < 0)
                {
                    // words[hi] fits unless it is the very last word and too long; search (lo, hi] for the earliest fit.
                    found = Count(words[hi], cut) <= overlapTokens ? hi : -1;
                    var a = lo + 1;
                    var b = hi - 1;
                    while (found >= 0 && a <= b)
                    {
                        var mid = a + ((b - a) >> 1);
                        if (Count(words[mid], cut) <= overlapTokens)
                        {
                            found = mid;
                            b = mid - 1;
                        }
                        else
                        {
                            a = mid + 1;
                        }
                    }
                }

                if (found >= 0)
                {
                    _chunkStart = words[found];
                    _overlap = Count(_chunkStart, cut);
                }
            }

            Compact();
        }

        private void Compact()
        {
            var drop = (int)(_chunkStart - _bufferOffset);
            if (drop > 0 && drop >= _length / 2)
            {
                Array.Copy(_buffer, drop, _buffer, 0, _length - drop);
                _length -= drop;
                _bufferOffset += drop;
            }

            var keep = 0;
            while (keep + 1 < _pages.Count && _pages[keep + 1].Offset <= _chunkStart)
            {
                keep++;
            }

            _pages.RemoveRange(0, keep);
        }

        private void AddPiece(long start, long end, int level)
        {
            if (end > start)
            {
                _pieces.Add(new Piece { Start = start, End = end, Tokens = Estimate(start, end), Level = level });
            }
        }

        // A piece is counted with the whitespace before it and without the whitespace after it: tokenizers join a
        // space to the word that follows, so counted this way the pieces of a text add up to about the text's count.
        private int Estimate(long start, long end)
        {
            while (start > _bufferOffset && char.IsWhiteSpace(CharAt(start - 1)))
            {
                start--;
            }

            while (end > start && char.IsWhiteSpace(CharAt(end - 1)))
            {
                end--;
            }

            return Count(start, end);
        }

        private int? PageAt(long offset)
        {
            int? page = null;
            foreach (var (o, p) in _pages)
            {
                if (o > offset)
                {
                    break;
                }

                page = p;
            }

            return page;
        }

        private int Count(long start, long end) => tokenizer!.CountTokens(Span(start, end));

        private ReadOnlySpan<char> Span(long start, long end) => _buffer.AsSpan((int)(start - _bufferOffset), (int)(end - start));

        private char CharAt(long offset) => _buffer[offset - _bufferOffset];

        private void EnsureCapacity(int needed)
        {
            if (needed > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
            }
        }
    }
}
