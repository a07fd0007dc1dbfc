using System.Text.Json.Serialization;
using Tvp.IO.Json;

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
        void Fill(IdsJson? ids)
        {
            if (ids is null) return;
            bos ??= ids.BosTokenId;
            eos ??= ids.EosTokenId;
            pad ??= ids.PadTokenId;
        }
        foreach (var name in new[] { "generation_config.json", "config.json" })
        {
            var p = Path.Combine(folder, name);
            if (!File.Exists(p)) continue;
            var file = ConfigJson.ReadFile<FileJson>(p);
            Fill(file.TextConfig);
            Fill(file.Root);
        }
        bool addBos = fallback?.AddBos ?? true;
        var tcPath = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(tcPath) && ConfigJson.ReadFile<TokenizerConfigJson>(tcPath).AddBosToken is bool ab) addBos = ab;
        return new SpecialTokens(bos ?? fallback?.Bos, eos ?? fallback?.Eos, pad ?? fallback?.Pad, addBos);
    }

    /// <summary>The special-token ids of a config (each one id, or a list: the first).</summary>
    /// <param name="BosTokenId">bos_token_id.</param>
    /// <param name="EosTokenId">eos_token_id.</param>
    /// <param name="PadTokenId">pad_token_id.</param>
    private sealed record IdsJson(
        [property: JsonConverter(typeof(FirstIdConverter))] int? BosTokenId,
        [property: JsonConverter(typeof(FirstIdConverter))] int? EosTokenId,
        [property: JsonConverter(typeof(FirstIdConverter))] int? PadTokenId);

    /// <summary>generation_config.json or config.json: the ids at the root and in <c>text_config</c>.</summary>
    /// <param name="BosTokenId">bos_token_id.</param>
    /// <param name="EosTokenId">eos_token_id.</param>
    /// <param name="PadTokenId">pad_token_id.</param>
    /// <param name="TextConfig">text_config (multimodal configs).</param>
    private sealed record FileJson(
        [property: JsonConverter(typeof(FirstIdConverter))] int? BosTokenId,
        [property: JsonConverter(typeof(FirstIdConverter))] int? EosTokenId,
        [property: JsonConverter(typeof(FirstIdConverter))] int? PadTokenId,
        IdsJson? TextConfig)
    {
        /// <summary>The root's ids.</summary>
        public IdsJson Root => new(BosTokenId, EosTokenId, PadTokenId);
    }

    /// <summary>tokenizer_config.json's <c>add_bos_token</c>.</summary>
    /// <param name="AddBosToken">add_bos_token.</param>
    private sealed record TokenizerConfigJson(bool? AddBosToken);
}
