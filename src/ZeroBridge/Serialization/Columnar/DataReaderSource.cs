using System.Data;

namespace ZeroBridge.Serialization.Columnar;

/// <summary>
/// A data reader, row by row. Column types come from the values of the first chunk (engines such as SQLite
/// type each value, not the column), else from the reader's field types; later chunks must fit those types, and a
/// chunk that does not is an error (never a silent conversion).
/// Values are read with <see cref="IDataRecord.GetValue"/>, which boxes: ADO.NET's one portable way.
/// </summary>
internal sealed class DataReaderSource : TableSource
{
    private readonly IDataReader _reader;
    private readonly bool _ownsReader;
    private readonly ColumnBuilder<object>[] _builders;
    private string[]? _types;
    private bool[]? _nullable;
    private bool _pending;

    public DataReaderSource(IDataReader reader, bool ownsReader)
    {
        _reader = reader;
        _ownsReader = ownsReader;
        _builders = Enumerable.Range(0, reader.FieldCount)
            .Select(i => new ColumnBuilder<object>(reader.GetName(i), ColumnTypes.Object, nullable: true, 4096))
            .ToArray();
        _pending = reader.Read();
        Finished = !_pending;
    }

    public override TableData Next(long maxBytes)
    {
        int count = _builders.Length;
        int sinceCheck = 0;
        while (_pending)
        {
            for (int i = 0; i < count; i++)
                _builders[i].AppendBoxed(_reader.IsDBNull(i) ? null : _reader.GetValue(i));
            _pending = _reader.Read();
            if (++sinceCheck == CheckEvery)
            {
                sinceCheck = 0;
                if (Bytes(_builders) >= maxBytes)
                    break;
            }
        }
        Finished = !_pending;
        var columns = new List<TableColumn>(count);
        bool first = _types is null;
        _types ??= new string[count];
        _nullable ??= new bool[count];
        for (int i = 0; i < count; i++)
        {
            var raw = _builders[i].Take();
            var values = (object?[])raw.Data;
            var slice = new ArraySegment<object?>(values, 0, raw.Length);
            if (first)
            {
                _types[i] = ColumnTypes.FromValues(slice, _reader.GetFieldType(i));
                _nullable[i] = raw.NullCount > 0;
            }
            else
                CheckSameType(raw.Name, _types[i], slice);
            columns.Add(new TableColumn(raw.Name, _types[i], slice, _nullable[i] || raw.NullCount > 0));
            _builders[i].ReturnLent(); // the typed column holds copies of the boxed values
        }
        if (Finished)
            Dispose();
        return new TableData(columns);
    }

    public override void Dispose()
    {
        if (_ownsReader)
            _reader.Dispose();
    }

    /// <summary>
    /// The first chunk fixed the column's type for the whole stream; a later chunk whose values need another type
    /// is an error rather than a silent conversion (an integer column that turns up 1.5 must not arrive as 2).
    /// Integers in a float64 column are exact enough to pass, and a chunk of nulls fits any type.
    /// </summary>
    private void CheckSameType(string column, string fixedType, IReadOnlyList<object?> values)
    {
        if (values.All(v => v is null))
            return;
        string seen = ColumnTypes.FromValues(values, typeof(object));
        if (seen == fixedType || (fixedType == ColumnTypes.Float64 && seen == ColumnTypes.Int64))
            return;
        Dispose();
        throw new ZeroBridgeSerializationException(
            $"Column '{column}' of the data reader held {fixedType} values in the first chunk but {seen} values later; a " +
            "streamed reader keeps the column types of its first chunk. Cast the column in the query (e.g. CAST(x AS REAL)).");
    }
}
