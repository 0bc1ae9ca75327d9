namespace LlmBatch.Input;

/// <summary>What <see cref="BatchInputConverter.ConvertFileAsync"/> wrote.</summary>
/// <param name="Items">Requests written.</param>
/// <param name="BlankLinesSkipped">Blank lines or rows skipped.</param>
/// <param name="OutputPath">The Batch API request file.</param>
/// <param name="MetadataPath">The metadata file (one <c>{"custom_id","metadata"}</c> line per item), or null when no item carried other columns.</param>
public sealed record BatchConversionReport(long Items, long BlankLinesSkipped, string OutputPath, string? MetadataPath);
