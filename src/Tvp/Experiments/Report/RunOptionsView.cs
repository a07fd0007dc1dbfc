using System.Text.Encodings.Web;
using System.Text.Json;
using Tvp.IO.Json;

namespace Tvp.Experiments.Report;

/// <summary>The members of options.json the report's summary uses (all optional; strings may be written as numbers).</summary>
/// <param name="Source">source model.</param>
/// <param name="Targets">target models.</param>
/// <param name="Data">data path.</param>
/// <param name="Fca">λ of Feature Consistency Alignment.</param>
/// <param name="Tse">λ of Task Semantics Enrichment.</param>
/// <param name="Guide">the TSE guide model.</param>
internal sealed record RunOptionsJson(string? Source, IReadOnlyList<string>? Targets, string? Data, double? Fca, double? Tse, string? Guide);

/// <summary>
/// options.json of a run folder as the report shows it: the summary members, every top-level value as display text
/// (<see cref="OptionValueConverter"/>), and the file re-indented for the verbatim listing.
/// </summary>
/// <param name="Summary">The members the summary uses.</param>
/// <param name="Values">Top-level key → display text.</param>
/// <param name="Indented">The whole file, indented.</param>
internal sealed record RunOptionsView(RunOptionsJson Summary, IReadOnlyDictionary<string, string> Values, string Indented)
{
    private static readonly JsonSerializerOptions ValueOptions = new() { Converters = { new OptionValueConverter() } };

    /// <summary>Reads options.json.</summary>
    /// <exception cref="InvalidDataException">Not JSON, not a JSON object, or a summary member of the wrong type (names the file and the member).</exception>
    public static RunOptionsView Read(string path)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
        using (doc)
        {
            var summary = ConfigJson.Bind<RunOptionsJson>(doc.RootElement, path, RunResultsJson.Options);
            var values = doc.RootElement.Deserialize<Dictionary<string, string>>(ValueOptions) ?? [];
            // Re-indenting a schema-free document: the DOM is the right tool here.
            var indented = JsonSerializer.Serialize(doc.RootElement, new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            return new RunOptionsView(summary, values, indented);
        }
    }
}
