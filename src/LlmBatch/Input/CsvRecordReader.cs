using System.Text;

namespace LlmBatch.Input;

/// <summary>
/// Reads RFC 4180 records (CSV, TSV or any single-character delimiter) from the lines the one line reader gives it:
/// fields separated by the delimiter, optionally in double quotes, a doubled quote inside a quoted field for a quote,
/// line breaks allowed inside quoted fields (the record then continues on the next line, joined with <c>\n</c>).
/// Written here rather than taken from CsvHelper so that the core library keeps no CSV dependency, line rules (BOM,
/// CRLF, UTF-8, line cap) are those of every other input, and every error can name the line a record starts on and
/// the column at fault.
/// </summary>
internal sealed class CsvRecordReader
{
    private readonly string _path;
    private readonly char _delimiter;
    private readonly StringBuilder _field = new();
    private bool _continues;
    private bool _quoted;
    private bool _afterQuote;
    private bool _fieldStarted;

    public CsvRecordReader(string path, char delimiter)
    {
        _path = path;
        _delimiter = delimiter;
    }

    /// <summary>The fields of the record just completed; empty for a blank line.</summary>
    public List<string> Fields { get; } = [];

    /// <summary>The line the current record starts on.</summary>
    public long StartLine { get; private set; }

    /// <summary>The column names, once known, so that errors name the column rather than its number.</summary>
    public string[]? Header { get; set; }

    /// <summary>Whether a quoted field is open at the end of the last line, so the record goes on.</summary>
    public bool Continues => _continues;

    /// <summary>
    /// Adds one line. Returns true when a record is complete (<see cref="Fields"/>; empty for a blank line) or
    /// malformed (<paramref name="error"/> set, the rest of the line skipped); false when a quoted field goes on to the next line.
    /// </summary>
    public bool AddLine(ReadOnlySpan<char> line, long lineNumber, out BatchInputError? error)
    {
        error = null;
        if (_continues)
        {
            _field.Append('\n');
        }
        else
        {
            Reset();
            StartLine = lineNumber;
        }

        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (_quoted)
            {
                if (c != '"')
                {
                    _field.Append(c);
                }
                else if (i + 1 < line.Length && line[i + 1] == '"')
                {
                    _field.Append('"');
                    i++;
                }
                else
                {
                    _quoted = false;
                    _afterQuote = true;
                }

                continue;
            }

            if (c == _delimiter)
            {
                Fields.Add(_field.ToString());
                _field.Clear();
                _afterQuote = false;
                _fieldStarted = true;
                continue;
            }

            if (c == '"' && _field.Length == 0 && !_afterQuote)
            {
                _quoted = true;
                _fieldStarted = true;
                continue;
            }

            if (_afterQuote || c == '"')
            {
                error = new BatchInputError(_path, StartLine, FieldName(Fields.Count), _afterQuote
                    ? "unexpected text after a closing quote; a quote inside a quoted field is written as \"\""
                    : "a quote inside an unquoted field; put the whole field in quotes and double the inner quote (\"\")");
                _continues = false;
                return true;
            }

            _field.Append(c);
            _fieldStarted = true;
        }

        _continues = _quoted;
        if (_continues)
        {
            return false;
        }

        // A line with nothing on it is a blank record, not a record of one empty field.
        if (_fieldStarted || _field.Length > 0)
        {
            Fields.Add(_field.ToString());
        }

        return true;
    }

    /// <summary>At the end of the input: the error of a quoted field never closed, or null.</summary>
    public BatchInputError? Finish() => _continues
        ? new BatchInputError(_path, StartLine, FieldName(Fields.Count), "a quoted field is never closed: the closing \" is missing")
        : null;

    /// <summary>Drops a record cut short by a line that could not be read.</summary>
    public void Abandon() => _continues = false;

    private string FieldName(int index) =>
        Header is { } header && index < header.Length ? header[index] : $"field {index + 1}";

    private void Reset()
    {
        Fields.Clear();
        _field.Clear();
        _quoted = false;
        _afterQuote = false;
        _fieldStarted = false;
    }
}
