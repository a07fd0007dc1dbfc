using System.Text.Json;

namespace Tvp.IO.Tokenizers;

/// <summary>BOS / EOS / pad ids of a checkpoint, and whether its tokenizer prepends BOS.</summary>
/// <param name="Bos">Beginning-of-sequence id.</param>
/// <param name="Eos">End-of-sequence id (the model's end marker).</param>
/// <param name="Pad">Padding id.</param>
/// <param name="AddBos">True when prompts start with BOS (tokenizer_config.json <c>add_bos_token</c>, default true).</param>
internal sealed record SpecialTokens(int? Bos, int? Eos, int? Pad, bool AddBos = true)
{
    /// <summary>
    /// Reads the ids from a checkpoint folder: generation_config.json, then config.json (its
    /// <c>text_config</c> first), each filling what the earlier ones left open; <paramref name="fallback"/>
    /// (the tokenizer's own ids) fills the rest. <c>add_bos_token</c> comes from tokenizer_config.json.
    /// </summary>
    public static SpecialTokens FromFolder(string folder, SpecialTokens? fallback = null)
    {
        int? bos = null, eos = null, pad = null;
        bool addBos = fallback?.AddBos ?? true;
        void Fill(JsonElement e)
        {
            if (e.ValueKind != JsonValueKind.Object) return;
            bos ??= Id(e, "bos_token_id");
            eos ??= Id(e, "eos_token_id");
            pad ??= Id(e, "pad_token_id");
        }
        foreach (var name in new[] { "generation_config.json", "config.json" })
        {
            var p = Path.Combine(folder, name);
            if (!File.Exists(p)) continue;
            using var doc = JsonDocument.Parse(File.ReadAllText(p));
            if (doc.RootElement.TryGetProperty("text_config", out var tc)) Fill(tc);
            Fill(doc.RootElement);
        }
        var tcPath = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(tcPath))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(tcPath));
            if (doc.RootElement.TryGetProperty("add_bos_token", out var ab) && ab.ValueKind is JsonValueKind.True or JsonValueKind.False)
                addBos = ab.GetBoolean();
        }
        return new SpecialTokens(bos ?? fallback?.Bos, eos ?? fallback?.Eos, pad ?? fallback?.Pad, addBos);
    }

    private static int? Id(JsonElement e, string name) =>
        !e.TryGetProperty(name, out var v) ? null
        : v.ValueKind == JsonValueKind.Number ? v.GetInt32()
        : v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0 ? v[0].GetInt32() : null;
}
