using System.Text;

namespace LlmBatch.Input;

/// <summary>
/// Reads RFC 4180 CSV records: fields separated by commas, optionally in double quotes, a doubled quote inside a
/// quoted field for a quote, line breaks allowed inside quoted fields. Written here rather than taken from CsvHelper
/// so that the core library keeps no CSV dependency and every error can name the exact line it starts on.
/// </summary>
internal sealed class CsvRecordReader
{
    private readonly TextReader _reader;
    private readonly string _path;
    private readonly StringBuilder _field = new();
    private long _line = 1;
    private int _peeked = -2;

    public CsvRecordReader(TextReader reader, string path)
    {
        _reader = reader;
        _path = path;
    }

    /// <summary>
    /// Reads the next record. Returns false at the end of the input. A blank line yields an empty field list.
    /// A malformed record sets <paramref name="error"/> and is skipped up to the end of its line.
    /// </summary>
    public bool TryRead(List<string> fields, out long startLine, out BatchInputError? error)
    {
        fields.Clear();
        error = null;
        startLine = _line;
        if (Peek() < 0)
        {
            return false;
        }

        _field.Clear();
        var quoted = false;
        var afterQuote = false;
        var fieldStarted = false;
        while (true)
        {
            var c = Read();
            if (c < 0)
            {
                if (quoted)
                {
                    error = new BatchInputError(_path, startLine, $"field {fields.Count + 1}", "a quoted field is never closed: the closing \" is missing");
                    return true;
                }

                EndField(fields, fieldStarted);
                return true;
            }

            if (quoted)
            {
                if (c == '"')
                {
                    if (Peek() == '"')
                    {
                        Read();
                        _field.Append('"');
                    }
                    else
                    {
                        quoted = false;
                        afterQuote = true;
                    }
                }
                else
                {
                    if (c == '\n')
                    {
                        _line++;
                    }

                    _field.Append((char)c);
                }

                continue;
            }

            switch (c)
            {
                case ',':
                    fields.Add(_field.ToString());
                    _field.Clear();
                    afterQuote = false;
                    fieldStarted = true;
                    continue;
                case '\r':
                    if (Peek() == '\n')
                    {
                        continue;
                    }

                    goto case '\n';
                case '\n':
                    _line++;
                    EndField(fields, fieldStarted);
                    return true;
                case '"' when _field.Length == 0 && !afterQuote:
                    quoted = true;
                    fieldStarted = true;
                    continue;
            }

            if (afterQuote || c == '"')
            {
                var column = fields.Count + 1;
                SkipToEndOfLine();
                error = new BatchInputError(_path, startLine, $"field {column}", afterQuote
                    ? "unexpected text after a closing quote; a quote inside a quoted field is written as \"\""
                    : "a quote inside an unquoted field; put the whole field in quotes and double the inner quote (\"\")");
                return true;
            }

            _field.Append((char)c);
            fieldStarted = true;
        }
    }

    private void EndField(List<string> fields, bool fieldStarted)
    {
        // A line with nothing on it is a blank record, not a record of one empty field.
        if (fieldStarted || _field.Length > 0)
        {
            fields.Add(_field.ToString());
        }

        _field.Clear();
    }

    private void SkipToEndOfLine()
    {
        while (true)
        {
            var c = Read();
            if (c < 0)
            {
                return;
            }

            if (c == '\n')
            {
                _line++;
                return;
            }
        }
    }

    private int Peek()
    {
        if (_peeked == -2)
        {
            _peeked = _reader.Read();
        }

        return _peeked;
    }

    private int Read()
    {
        if (_peeked != -2)
        {
            var c = _peeked;
            _peeked = -2;
            return c;
        }

        return _reader.Read();
    }
}
